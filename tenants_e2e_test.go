package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// sampleFor returns the evaluation sample for another organization and meeting;
// source "" means a null sourceId (a dashboard interview).
func sampleFor(t *testing.T, source, meeting string) []byte {
	t.Helper()
	body, err := webhooks.Sample("interview.evaluation")
	if err != nil {
		t.Fatal(err)
	}
	src := `"` + source + `"`
	if source == "" {
		src = "null"
	}
	body = bytes.Replace(body, []byte(`"org_7234567890"`), []byte(src), 1)
	return bytes.Replace(body, []byte("Boooply-AI-1234567890"), []byte(meeting), 1)
}

// apiCall sends a JSON request to the (insecure, local) API and decodes the answer.
// apiCall sends an authenticated JSON request (token from adminBearer) and
// checks the status.
func apiCall(t *testing.T, token, method, url, body string, wantStatus int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s = %d, want %d: %s", method, url, resp.StatusCode, wantStatus, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

func mustPost(t *testing.T, base string, body []byte) map[string]any {
	t.Helper()
	status, ans := post(t, base, body, hmacHex(body))
	if status != http.StatusOK || ans["status"] != "accepted" {
		t.Fatalf("post: got %d %v, want 200 accepted", status, ans)
	}
	return ans
}

// TestTenantCacheAcrossReplicas runs two servers on one database: a tenant
// created through one routes on the other, and a sourceId change made on
// one stops routing the old sourceId on the other (its cache followed).
func TestTenantCacheAcrossReplicas(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			recv := newReceiver(t, nil)
			baseA, _ := startServer(t, target.URL, "--retry-schedule", "20ms")
			token := adminBearer(t, target.URL, baseA)
			baseB, logsB := startServer(t, target.URL, "--retry-schedule", "20ms", "--log-level", "debug")
			db := testdb.Open(t, target.URL)
			// B logs each reload with its version: the test waits on that, not on a clock.
			waitReload := func() time.Time {
				v := countRows(t, db, "SELECT version FROM tenants_version")
				waitFor(t, fmt.Sprint("replica B to load version ", v), func() bool {
					return strings.Contains(logsB.String(), fmt.Sprintf(`"msg":"Reloaded the tenant cache.","version":%d,`, v))
				})
				return time.Now()
			}
			created := apiCall(t, token, "POST", baseA+"/api/v1/tenants",
				`{"name":"Replica Co","source_id":"org_rep","endpoints":[{"url":"`+recv.URL+`/rep"}]}`, 201)
			id := int64(created["id"].(float64))
			// Before B's cache knows the tenant, ingest falls back to the database.
			if ans := mustPost(t, baseB, sampleFor(t, "org_rep", "rep-0")); ans["routed"] != true || ans["deliveries"] != 1.0 {
				t.Fatalf("replica B: %v, want routed with one delivery", ans)
			}
			waitReload()
			if ans := mustPost(t, baseB, sampleFor(t, "org_rep", "rep-1")); ans["routed"] != true || ans["deliveries"] != 1.0 {
				t.Fatalf("replica B from its cache: %v, want routed with one delivery", ans)
			}
			waitFor(t, "deliveries through replica B", func() bool { return len(recv.bodies("/rep")) == 2 })

			changed := time.Now()
			apiCall(t, token, "PATCH", fmt.Sprintf("%s/api/v1/tenants/%d", baseA, id), `{"source_id":"org_rep2"}`, 200)
			seen := waitReload()
			t.Logf("replica B saw the change %v after it was made on A", seen.Sub(changed).Round(time.Millisecond))
			if ans := mustPost(t, baseB, sampleFor(t, "org_rep", "rep-old")); ans["routed"] != false {
				t.Fatalf("old sourceId on B after reload: %v, want unrouted", ans)
			}
			if ans := mustPost(t, baseB, sampleFor(t, "org_rep2", "rep-2")); ans["routed"] != true {
				t.Fatalf("new sourceId on B: %v, want routed", ans)
			}
		})
	}
}

// TestPausedTenantResume: a paused tenant's events are recorded with held
// deliveries and no queue jobs; resume sends each exactly once.
func TestPausedTenantResume(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			recv := newReceiver(t, nil)
			base, _ := startServer(t, target.URL, "--retry-schedule", "20ms")
			token := adminBearer(t, target.URL, base)
			db := testdb.Open(t, target.URL)
			created := apiCall(t, token, "POST", base+"/api/v1/tenants",
				`{"name":"Paused Co","source_id":"org_p","status":"paused","endpoints":[{"url":"`+recv.URL+`/p"}]}`, 201)
			id := int64(created["id"].(float64))
			for i := range 3 {
				if ans := mustPost(t, base, sampleFor(t, "org_p", fmt.Sprint("p-", i))); ans["deliveries"] != 1.0 {
					t.Fatalf("paused post: %v, want one (held) delivery", ans)
				}
			}
			if n := countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE tenant_id = ? AND status = 'held'", id); n != 3 {
				t.Fatalf("held deliveries = %d, want 3", n)
			}
			if n := countRows(t, db, "SELECT COUNT(*) FROM river_job WHERE kind = 'deliver'"); n != 0 {
				t.Fatalf("queue jobs while paused = %d, want 0", n)
			}
			ans := apiCall(t, token, "POST", fmt.Sprintf("%s/api/v1/tenants/%d/resume", base, id), "", 200)
			if ans["released"] != 3.0 {
				t.Fatalf("resume: %v, want 3 released", ans)
			}
			waitFor(t, "released deliveries", func() bool {
				return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE tenant_id = ? AND status = 'delivered'", id) == 3
			})
			if got := recv.hitCount("/p"); got != 3 {
				t.Fatalf("receiver hits = %d, want exactly 3", got)
			}
			// Resuming again releases nothing more.
			if ans := apiCall(t, token, "POST", fmt.Sprintf("%s/api/v1/tenants/%d/resume", base, id), "", 200); ans["released"] != 0.0 {
				t.Fatalf("second resume: %v, want 0 released", ans)
			}
		})
	}
}

// TestDeliverHeld: events that arrived before their tenant are listed
// grouped, then delivered through the CLI (all, or since a time), once, and
// the decision is recorded; a default tenant takes null-sourceId events.
func TestDeliverHeld(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			recv := newReceiver(t, nil)
			base, _ := startServer(t, target.URL, "--retry-schedule", "20ms", "--default-tenant", "org_default")
			db := testdb.Open(t, target.URL)
			cli := func(args ...string) string {
				return runCLI(t, append(args, "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints")...)
			}
			mustPost(t, base, sampleFor(t, "org_late", "late-1"))
			mustPost(t, base, sampleFor(t, "org_late", "late-2"))
			since := time.Now().UTC()
			mustPost(t, base, sampleFor(t, "org_late", "late-3"))
			mustPost(t, base, sampleFor(t, "", "dash-1"))
			if out := runCLI(t, "events", "list", "--unrouted", "--grouped", "--database-url", target.URL); !regexpMatch(`org_late\s+3\s`, out) || !regexpMatch(`\(null\)\s+1\s`, out) {
				t.Fatalf("grouped unrouted:\n%s", out)
			}
			id := strings.TrimSpace(cli("tenants", "create", "--name", "Late", "--source-id", "org_late", "--endpoint", recv.URL+"/late"))
			if out := cli("tenants", "deliver-held", "--tenant", id, "--since", since.Format(time.RFC3339Nano)); !strings.HasPrefix(out, "1 held events") {
				t.Fatalf("deliver-held --since: %q", out)
			}
			waitFor(t, "the event since", func() bool { return len(recv.bodies("/late")) == 1 })
			if !bytes.Contains(recv.bodies("/late")[0], []byte("late-3")) {
				t.Fatalf("delivered %s, want late-3", recv.bodies("/late")[0])
			}
			if out := cli("tenants", "deliver-held", "--tenant", id); !strings.HasPrefix(out, "2 held events") {
				t.Fatalf("deliver-held: %q", out)
			}
			if out := cli("tenants", "deliver-held", "--tenant", id); !strings.HasPrefix(out, "0 held events") {
				t.Fatalf("deliver-held again: %q", out)
			}
			waitFor(t, "all three", func() bool { return len(recv.bodies("/late")) == 3 })
			if n := countRows(t, db, "SELECT COUNT(*) FROM held_deliveries_log WHERE tenant_id = ? AND actor LIKE 'cli%'", id); n != 3 {
				t.Fatalf("held log rows = %d, want 3", n)
			}
			if n := countRows(t, db, "SELECT COUNT(*) FROM events WHERE tenant_id IS NULL AND source_id = 'org_late'"); n != 0 {
				t.Fatalf("org_late events still unrouted: %d", n)
			}

			// The default tenant owns dashboard interviews from now on, and can take the earlier ones.
			defID := strings.TrimSpace(cli("tenants", "create", "--name", "Default", "--source-id", "org_default", "--endpoint", recv.URL+"/default"))
			waitFor(t, "a null-sourceId event to route to the default tenant", func() bool {
				return mustPost(t, base, sampleFor(t, "", fmt.Sprint("dash-", time.Now().UnixNano())))["routed"] == true
			})
			if out := cli("tenants", "deliver-held", "--tenant", defID, "--null-source"); !strings.HasPrefix(out, "1 held events") {
				t.Fatalf("deliver-held --null-source: %q", out)
			}
		})
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
