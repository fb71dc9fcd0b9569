package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard-gw/switchboard/loadtest"
	"github.com/switchboard-gw/switchboard/testdb"
)

// checkAPITenants: run runID's n tenants exist, each with one endpoint that
// has a signing secret, and each was created through the API by admin (its
// audit entry names the account, which direct inserts never write).
func checkAPITenants(t *testing.T, dbURL, runID string, n int, admin string) {
	t.Helper()
	db := testdb.Open(t, dbURL)
	like := "lt-" + runID + "-%"
	if got := countRows(t, db, "SELECT COUNT(*) FROM tenants WHERE source_id LIKE ?", like); got != int64(n) {
		t.Errorf("tenants of run %s: %d, want %d", runID, got, n)
	}
	signed := countRows(t, db, `SELECT COUNT(*) FROM endpoints e JOIN tenants t ON t.id = e.tenant_id
		WHERE t.source_id LIKE ? AND e.signing_secret_sealed <> ''`, like)
	if signed != int64(n) {
		t.Errorf("endpoints with a signing secret: %d, want %d", signed, n)
	}
	audited := countRows(t, db, `SELECT COUNT(*) FROM audit_log a JOIN tenants t ON t.id = a.tenant_id
		WHERE a.action = 'tenant.create' AND a.actor = ? AND t.source_id LIKE ?`, admin, like)
	if audited != int64(n) {
		t.Errorf("tenant.create audit entries by %s: %d, want %d", admin, audited, n)
	}
}

// captureStderr runs fn with os.Stderr (where the load tool writes its
// progress and flag usage) sent to a file, and returns what was written.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = f
	defer func() { os.Stderr = old }()
	fn()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLoadtestTargetNeedsToken: --target without an API token is refused,
// naming the flag and the variable, before a request reaches the target.
func TestLoadtestTargetNeedsToken(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer srv.Close()
	t.Setenv(loadtestTokenEnv, "")
	err := run(context.Background(), []string{"loadtest", "--target", srv.URL, "--webhook-secret", "s", "--rate", "1",
		"--duration", "1s"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--api-token") || !strings.Contains(err.Error(), loadtestTokenEnv) {
		t.Fatalf("err = %v, want a refusal naming --api-token and %s", err, loadtestTokenEnv)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the target got %d requests, want none", n)
	}
}

// TestLoadtestTargetWithoutDatabase: --target with a token from the
// environment and no --database-url creates its tenants through the API,
// delivers every event signed, reports the figures it could not read as
// unavailable (not zero), and prints the token nowhere.
func TestLoadtestTargetWithoutDatabase(t *testing.T) {
	target := testdb.Targets(t)[0]
	base, _ := startServer(t, target.URL)
	token := adminBearer(t, target.URL, base)
	t.Setenv(loadtestTokenEnv, token)
	err := run(context.Background(), []string{"loadtest", "--target", base, "--webhook-secret", testSecret, "--rate", "1",
		"--duration", "1s", "--baseline"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--database-url") {
		t.Errorf("--baseline without --database-url: err = %v, want a refusal naming --database-url", err)
	}
	var table bytes.Buffer
	jsonPath := filepath.Join(t.TempDir(), "run.json")
	stderr := captureStderr(t, func() {
		err = run(context.Background(), []string{"loadtest", "--target", base, "--webhook-secret", testSecret, "--concurrency", "2",
			"--duration", "30s", "--max-events", "12", "--tenants", "2", "--drain", "20s", "--json-out", jsonPath}, &table)
	})
	if err != nil {
		t.Fatalf("loadtest: %v\n%s", err, stderr)
	}
	js, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"table": table.String(), "JSON": string(js), "stderr": stderr} {
		if strings.Contains(text, token) {
			t.Errorf("the %s shows the API token", name)
		}
	}
	var rep loadtest.Report
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	p := rep.Phases[len(rep.Phases)-1]
	if d := p.Delivery; p.Acked != 12 || d == nil || d.Delivered != 12 || d.Missing != 0 || d.DuplicatesByKey != 0 || d.BadSignatures != 0 {
		t.Fatalf("phase %+v, delivery %+v; want 12 acked and delivered once, signed", p, d)
	}
	if p.StoredEvents != 0 || p.DB != nil || rep.Storage != nil || rep.Config.Dialect != "unknown" ||
		!strings.Contains(strings.Join(rep.Unavailable, " "), "stored_events") || !strings.Contains(string(js), `"unavailable_why"`) {
		t.Errorf("stored %d, db %+v, storage %+v, dialect %q, unavailable %v; want the database's figures marked unavailable",
			p.StoredEvents, p.DB, rep.Storage, rep.Config.Dialect, rep.Unavailable)
	}
	if !strings.Contains(table.String(), "not measured (no --database-url") {
		t.Errorf("the table does not say what was not measured:\n%s", table.String())
	}
	checkAPITenants(t, target.URL, rep.Config.RunID, 2, "e2e-admin@example.com")
}

// TestLoadtestTargetRefusesPrivate: a target that refuses loopback endpoint
// URLs stops the run at its first tenant, with what to set, and nothing is
// created or sent.
func TestLoadtestTargetRefusesPrivate(t *testing.T) {
	target := testdb.Targets(t)[0]
	base, _ := startServer(t, target.URL, "--allow-private-endpoints=false")
	err := run(context.Background(), []string{"loadtest", "--target", base, "--webhook-secret", testSecret,
		"--api-token", adminBearer(t, target.URL, base), "--rate", "5", "--duration", "1s", "--tenants", "3"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_ALLOW_PRIVATE_ENDPOINTS=true") {
		t.Fatalf("err = %v, want it to say to start the target with SWITCHBOARD_ALLOW_PRIVATE_ENDPOINTS=true", err)
	}
	db := testdb.Open(t, target.URL)
	if n, e := countRows(t, db, "SELECT COUNT(*) FROM tenants"), countRows(t, db, "SELECT COUNT(*) FROM events"); n+e != 0 {
		t.Errorf("%d tenants and %d events after the refusal, want none", n, e)
	}
}

// TestLoadtestHelpHidesToken: the token from the environment is not the
// flag's default, so `loadtest -h` does not print it.
func TestLoadtestHelpHidesToken(t *testing.T) {
	const token = "sbt_do-not-print-me"
	t.Setenv(loadtestTokenEnv, token)
	usage := captureStderr(t, func() { _ = run(context.Background(), []string{"loadtest", "-h"}, io.Discard) })
	if !strings.Contains(usage, "-api-token") || strings.Contains(usage, token) {
		t.Fatalf("usage mentions --api-token: %v; shows the token: %v", strings.Contains(usage, "-api-token"), strings.Contains(usage, token))
	}
}

// TestLoadtestRoutesNewTenantsAtOnce: an event for a tenant the API created
// a moment ago is routed to it, not held as unrouted: the API's write
// refreshes the routing cache (the direct inserts had to bump the version).
func TestLoadtestRoutesNewTenantsAtOnce(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			base, _ := startServer(t, target.URL)
			api := loadtest.API{URL: base, Token: adminBearer(t, target.URL, base)}
			const runID, n = "route1", 3
			recv := newReceiver(t, nil)
			if _, err := loadtest.CreateTenants(context.Background(), api, runID, n, 2, func(i int) string { return recv.URL + "/t" }); err != nil {
				t.Fatal(err)
			}
			gen, err := loadtest.NewGenerator(runID, testSecret)
			if err != nil {
				t.Fatal(err)
			}
			ev := gen.Make(0, n-1)
			req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/boooply", bytes.NewReader(ev.Body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Boooply-Signature", ev.Signature)
			req.Header.Set("X-Boooply-Event", ev.Type)
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("post event: %v %v", res, err)
			}
			res.Body.Close()
			db := testdb.Open(t, target.URL)
			routed := countRows(t, db, `SELECT COUNT(*) FROM events e JOIN tenants t ON t.id = e.tenant_id
				WHERE e.meeting_code = ? AND t.source_id = ?`, ev.MeetingCode, loadtest.SourceID(runID, n-1))
			if routed != 1 {
				t.Fatalf("event for the newest tenant routed %d times, want 1", routed)
			}
		})
	}
}
