package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// TestMappingEndToEnd: a mapping saved with the CLI and a correlation
// recorded after the event arrived shape what the real server delivers, URL
// template included: the delivery waits for the correlation, then goes out.
func TestMappingEndToEnd(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			recv := newReceiver(t, nil)
			base, _ := startServer(t, target.URL, "--retry-schedule", "50ms,100ms,200ms,400ms,800ms,1s,1s,1s,1s,1s,1s,1s")
			tenantID := strings.TrimSpace(runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints",
				"--name", "Acme", "--source-id", "org_7234567890", "--endpoint", recv.URL+"/c/{{correlation.candidate_id}}/notes"))
			spec := filepath.Join(t.TempDir(), "m.json")
			if err := os.WriteFile(spec, []byte(`{"mode":"rules","rules":[{"target":"name","from":"data.candidateName"},
				{"target":"rating","from":"data.overallRating","ops":[{"op":"scale","args":["1","5","0","100"]}]}]}`), 0o600); err != nil {
				t.Fatal(err)
			}
			// The endpoint id: the first endpoint of the first tenant is 1 on a fresh database.
			// Before any version is saved the endpoint forwards events unchanged.
			if out := runCLI(t, "mapping", "show", "--database-url", target.URL, "--tenant", tenantID, "--endpoint", "1"); !strings.Contains(out, `"mode": "passthrough"`) {
				t.Fatalf("mapping show before any version: %s", out)
			}
			if out := runCLI(t, "mapping", "set", "--database-url", target.URL, "--tenant", tenantID, "--endpoint", "1", "--file", spec, "--comment", "first"); !strings.Contains(out, "saved version 1") {
				t.Fatalf("mapping set: %s", out)
			}
			if out := runCLI(t, "mapping", "versions", "--database-url", target.URL, "--tenant", tenantID, "--endpoint", "1"); !strings.Contains(out, "rules (current)") || !strings.Contains(out, "first") {
				t.Fatalf("mapping versions:\n%s", out)
			}
			// The event arrives before the vendor recorded the ATS ids: the
			// delivery waits (retried), then goes out once the record exists.
			body, _ := webhooks.Sample("interview.evaluation")
			if status, ans := post(t, base, body, hmacHex(body)); status != http.StatusOK {
				t.Fatalf("post: %d %v", status, ans)
			}
			db := testdb.Open(t, target.URL)
			waitFor(t, "a correlation-missing attempt", func() bool {
				return countRows(t, db, "SELECT COUNT(*) FROM attempts WHERE error_class = 'correlation-missing'") > 0
			})
			runCLI(t, "correlations", "set", "--database-url", target.URL, "--tenant", tenantID,
				"--meeting-code", "Boooply-AI-1234567890", "--attr", "candidate_id=cand 42")
			waitFor(t, "the mapped delivery", func() bool { return len(recv.bodies("/c/cand 42/notes")) == 1 })
			if got := string(recv.bodies("/c/cand 42/notes")[0]); got != `{"name":"Jane Doe","rating":50}` {
				t.Fatalf("delivered %s", got)
			}
		})
	}
}

func TestMappingCLIPreview(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(good, []byte(`{"mode":"jq","program":"{who: .data.candidateName, link: $correlation.report_url}"}`), 0o600)
	_ = os.WriteFile(bad, []byte(`{"mode":"rules","rules":[{"target":"x","from":"data.title","ops":["uper"]}]}`), 0o600)
	out := runCLI(t, "mapping", "preview", "--file", good, "--sample", "evaluation", "--correlation", "report_url=https://r.example/1")
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil || got["who"] != "Jane Doe" || got["link"] != "https://r.example/1" {
		t.Fatalf("preview printed %s (%v)", out, err)
	}
	var buf bytes.Buffer
	err := run(context.Background(), []string{"mapping", "preview", "--file", bad, "--sample", "evaluation"}, &buf)
	if err == nil || !strings.Contains(err.Error(), "rules[0].ops[0]") || !strings.Contains(err.Error(), `unknown operation "uper"`) {
		t.Fatalf("bad mapping: err = %v", err)
	}
	out = runCLI(t, "mapping", "preview", "--preset", "kombo-assessment-result", "--sample", "evaluation",
		"--correlation", "order_id=o1", "--correlation", "report_url=https://r.example/1",
		"--url", "https://api.kombo.dev/v1/assessment/orders/{{correlation.order_id}}/result")
	if !strings.Contains(out, "URL: https://api.kombo.dev/v1/assessment/orders/o1/result") || !strings.Contains(out, `"max_score": 100`) {
		t.Fatalf("preset preview:\n%s", out)
	}
	if out := runCLI(t, "mapping", "presets"); !strings.Contains(out, "greenhouse-harvest-note") || !strings.Contains(out, "interview.evaluation") {
		t.Fatalf("presets:\n%s", out)
	}
	if out := runCLI(t, "mapping", "ops"); !strings.Contains(out, "scale A B C D") {
		t.Fatalf("ops:\n%s", out)
	}
}

func TestCorrelationsCLI(t *testing.T) {
	url := testdb.Targets(t)[0].URL
	tenantID := strings.TrimSpace(runCLI(t, "tenants", "create", "--database-url", url, "--name", "A", "--source-id", "org_a",
		"--endpoint", "https://93.184.215.14/hook"))
	runCLI(t, "correlations", "set", "--database-url", url, "--tenant", tenantID, "--meeting-code", "M1", "--attr", "candidate_id=9")
	file := filepath.Join(t.TempDir(), "c.json")
	_ = os.WriteFile(file, []byte(`{"M2":{"order_id":"o2"},"M3":{"order_id":"o3"}}`), 0o600)
	if out := runCLI(t, "correlations", "import", "--database-url", url, "--tenant", tenantID, "--file", file); !strings.Contains(out, "saved 2") {
		t.Fatalf("import: %s", out)
	}
	if out := runCLI(t, "correlations", "show", "--database-url", url, "--tenant", tenantID, "--meeting-code", "M3"); !strings.Contains(out, `"order_id": "o3"`) {
		t.Fatalf("show: %s", out)
	}
}
