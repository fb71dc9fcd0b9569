package loadtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a, b   float64
		higher bool
		want   string
	}{
		{"faster throughput", 100, 150, true, "+50%"},
		{"slower throughput", 100, 80, true, "-20% worse"},
		{"higher latency", 10, 12, false, "+20% worse"},
		{"within noise", 10, 10.5, false, "+5%"},
		{"both zero", 0, 0, false, "="},
		{"from zero", 0, 3, false, "new"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := change(tc.a, tc.b, tc.higher); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCompareReports reads two JSON reports back and flags the regression.
func TestCompareReports(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, ackedPerSec, lagP99 float64) string {
		r := &Report{SchemaVersion: SchemaVersion, Phases: []PhaseReport{{Name: "switchboard", AckedPerSec: ackedPerSec,
			Delivery: &DeliveryReport{Lag: Summary{P99: lagP99}}}}}
		var b bytes.Buffer
		if err := r.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	old, err := ReadReport(write("old.json", 400, 100))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := ReadReport(write("new.json", 500, 300))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Compare(&out, old, cur); err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		for _, m := range []string{"acked/s", "lag p99 ms"} {
			if strings.Contains(line, m) {
				lines[m] = strings.Join(strings.Fields(line), " ")
			}
		}
	}
	if got, want := lines["acked/s"], "switchboard acked/s 400.0 500.0 +25%"; got != want {
		t.Errorf("acked/s line = %q, want %q", got, want)
	}
	if got, want := lines["lag p99 ms"], "switchboard lag p99 ms 100.0 300.0 +200% worse"; got != want {
		t.Errorf("lag line = %q, want %q", got, want)
	}
	if _, err := ReadReport(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("reading a missing report succeeded")
	}
}

// TestCompareServerPercentiles compares the server's ack p99 only when both
// reports have it: a report from before the percentiles is not "worse".
func TestCompareServerPercentiles(t *testing.T) {
	report := func(p99 float64) *Report {
		return &Report{SchemaVersion: SchemaVersion, Phases: []PhaseReport{{Name: "switchboard",
			ServerAck: &ServerAck{AckMeanMs: 4, AckP99Ms: p99, CommitMeanMs: 2}}}}
	}
	row := func(old, cur *Report) string {
		t.Helper()
		var out bytes.Buffer
		if err := Compare(&out, old, cur); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, "server: ack p99") {
				return strings.Join(strings.Fields(line), " ")
			}
		}
		return ""
	}
	if got, want := row(report(10), report(15)), "switchboard server: ack p99 ms (buckets) 10.0 15.0 +50% worse"; got != want {
		t.Errorf("row = %q, want %q", got, want)
	}
	if got := row(report(0), report(15)); got != "" {
		t.Errorf("an old report without percentiles gave %q, want no row", got)
	}
}

// TestCompareCoversTargetFigures: the figures the performance targets name
// (ack p90 and max, the other tenants' lag beside a slow one, commits per
// event, bytes stored per event), the deliveries whose signature failed and
// the time to create the tenants are compared too, regressions marked.
func TestCompareCoversTargetFigures(t *testing.T) {
	report := func(scale float64) *Report {
		return &Report{SchemaVersion: SchemaVersion, Storage: &Storage{BytesPerEvent: 6500 * scale}, TenantsCreateS: 20 * scale,
			Phases: []PhaseReport{{Name: "switchboard", AckLatency: Summary{P90: 5 * scale, Max: 40 * scale},
				Delivery: &DeliveryReport{LagOthers: Summary{P99: 80 * scale}, BadSignatures: int(scale) - 1}, DB: &DBDelta{CommitsPerEvent: 1.2 * scale}}}}
	}
	var out bytes.Buffer
	if err := Compare(&out, report(1), report(2)); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, line := range strings.Split(out.String(), "\n") {
		got[strings.Join(strings.Fields(line), " ")] = true
	}
	for _, want := range []string{
		"switchboard ack p90 ms 5.0 10.0 +100% worse",
		"switchboard ack max ms 40.0 80.0 +100% worse",
		"switchboard lag p99 other tenants ms 80.0 160.0 +100% worse",
		"switchboard commits / stored event 1.2 2.4 +100% worse",
		"run bytes / stored event 6500.0 13000.0 +100% worse",
		"switchboard bad signatures 0.0 1.0 new",
		"run tenants create s 20.0 40.0 +100% worse",
	} {
		if !got[want] {
			t.Errorf("compare lacks %q:\n%s", want, out.String())
		}
	}
}
