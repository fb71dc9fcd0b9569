package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// alertRulesFile holds the Prometheus rules the README's Alerts section shows.
const alertRulesFile = "webhooks/testdata/alerts.yml"

// sample is one series of a /metrics answer.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	seriesRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)`)
	labelRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// scrape reads every series of base's /metrics.
func scrape(t *testing.T, base string) []sample {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	var out []sample
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 8<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := seriesRE.FindStringSubmatch(sc.Text())
		if m == nil || strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", sc.Text(), err)
		}
		s := sample{name: m[1], labels: map[string]string{}, value: v}
		for _, l := range labelRE.FindAllStringSubmatch(m[2], -1) {
			s.labels[l[1]] = l[2]
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// metricValue is the value of the series name{label="value",…} (labels as
// pairs), and whether /metrics has it.
func metricValue(samples []sample, name string, labels ...string) (float64, bool) {
next:
	for _, s := range samples {
		if s.name != name {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if s.labels[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return s.value, true
	}
	return 0, false
}

// ruleExprs returns each rule's expr (one line, or a "|" block) by alert
// name, and fails when a rule lacks an expr, a severity or a runbook.
func ruleExprs(t *testing.T, yml string) map[string]string {
	t.Helper()
	lines := strings.Split(yml, "\n")
	exprs, current := map[string]string{}, ""
	has := map[string]map[string]bool{}
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		key, rest, _ := strings.Cut(line, ":")
		rest = strings.TrimSpace(rest)
		switch strings.TrimPrefix(key, "- ") {
		case "alert":
			current = rest
			if _, dup := exprs[current]; dup {
				t.Errorf("alert %s is defined twice", current)
			}
			exprs[current], has[current] = "", map[string]bool{}
		case "expr":
			if rest == "|" {
				var block []string
				at := indent(lines[i])
				for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" && indent(lines[i+1]) > at {
					i++
					block = append(block, strings.TrimSpace(lines[i]))
				}
				rest = strings.Join(block, " ")
			}
			exprs[current] = rest
		case "severity", "runbook", "summary":
			if current != "" {
				has[current][strings.TrimPrefix(key, "- ")] = rest != ""
			}
		}
	}
	for name, expr := range exprs {
		if expr == "" {
			t.Errorf("alert %s has no expr", name)
		}
		for _, want := range []string{"severity", "summary", "runbook"} {
			if !has[name][want] {
				t.Errorf("alert %s has no %s", name, want)
			}
		}
	}
	return exprs
}

var (
	selectorRE = regexp.MustCompile(`\b(switchboard_[a-z0-9_]+)(\{[^}]*\})?`)
	matcherRE  = regexp.MustCompile(`([a-z_]+)\s*(=~|!=|!~|=)\s*"([^"]*)"`)
)

// TestAlertRulesUseExportedMetrics: every series the alert rules select,
// label values included (each alternative of a =~ matcher), is exported by
// a server that has seen no traffic yet, on both dialects, so no rule
// watches a series that is absent until the first incident.
func TestAlertRulesUseExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile(alertRulesFile)
	if err != nil {
		t.Fatal(err)
	}
	exprs := ruleExprs(t, string(raw))
	if len(exprs) < 10 {
		t.Fatalf("found %d rules in %s, want the dozen it holds", len(exprs), alertRulesFile)
	}
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			base, _ := startServer(t, target.URL)
			samples := scrape(t, base)
			for alert, expr := range exprs {
				sels := selectorRE.FindAllStringSubmatch(expr, -1)
				if len(sels) == 0 && !strings.Contains(expr, "up{") {
					t.Errorf("%s: no Switchboard metric in %q", alert, expr)
				}
				for _, sel := range sels {
					checkSelector(t, alert, samples, sel[1], sel[2])
				}
			}
		})
	}
}

// checkSelector fails unless samples hold name with every label value the
// selector's = and =~ matchers name (job and instance come from Prometheus).
func checkSelector(t *testing.T, alert string, samples []sample, name, matchers string) {
	t.Helper()
	if _, ok := metricValue(samples, name); !ok {
		t.Errorf("%s: /metrics lacks %s", alert, name)
		return
	}
	for _, m := range matcherRE.FindAllStringSubmatch(matchers, -1) {
		label, op, value := m[1], m[2], m[3]
		if label == "job" || label == "instance" || op == "!=" || op == "!~" {
			continue
		}
		values := []string{value}
		if op == "=~" {
			values = strings.Split(value, "|")
		}
		for _, v := range values {
			if _, ok := metricValue(samples, name, label, v); !ok {
				t.Errorf("%s: /metrics lacks %s{%s=%q}", alert, name, label, v)
			}
		}
	}
}

// TestAlertRulesMatchREADME: the rules block in the README's Alerts section
// is the rules file from "groups:" on, so what an operator copies is what
// TestAlertRulesUseExportedMetrics checked.
func TestAlertRulesMatchREADME(t *testing.T) {
	raw, err := os.ReadFile(alertRulesFile)
	if err != nil {
		t.Fatal(err)
	}
	rules := string(raw)
	start := strings.Index(rules, "groups:")
	if start < 0 {
		t.Fatalf("%s has no groups:", alertRulesFile)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	i := strings.Index(section, "\n### Alerts\n")
	if i < 0 {
		t.Fatal("README has no Alerts section")
	}
	section = section[i:]
	open := strings.Index(section, "```yaml\n")
	if open < 0 {
		t.Fatal("README's Alerts section has no yaml block")
	}
	block := section[open+len("```yaml\n"):]
	end := strings.Index(block, "```\n")
	if end < 0 {
		t.Fatal("README's Alerts yaml block is not closed")
	}
	if got, want := block[:end], rules[start:]; got != want {
		t.Fatalf("README's Alerts block differs from %s (from groups: on); copy the file into the README", alertRulesFile)
	}
}
