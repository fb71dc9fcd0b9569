package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestNoMigrateWaitsForMigrations: a replica started with --no-migrate on a
// database nobody has migrated yet serves /healthz at once and /readyz 503
// (as the README's Operations section says) instead of exiting; once
// `switchboard migrate` has run it becomes ready and delivers.
func TestNoMigrateWaitsForMigrations(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			recv := newReceiver(t, nil)
			base, logs := startServer(t, target.URL, "--no-migrate")
			if got := getStatus(t, base+"/healthz"); got != http.StatusOK {
				t.Fatalf("/healthz before migrate = %d, want 200", got)
			}
			if got := getStatus(t, base+"/readyz"); got != http.StatusServiceUnavailable {
				t.Fatalf("/readyz before migrate = %d, want 503", got)
			}
			runCLI(t, "migrate", "--database-url", target.URL)
			waitFor(t, "/readyz 200 after migrate", func() bool { return getStatus(t, base+"/readyz") == http.StatusOK })
			waitFor(t, "deliveries to start", func() bool { return strings.Contains(logs.String(), "starting deliveries") })
			runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints",
				"--name", "Acme", "--source-id", "org_7234567890", "--endpoint", recv.URL+"/acme")
			body, err := os.ReadFile("webhooks/samples/evaluation.json")
			if err != nil {
				t.Fatal(err)
			}
			if status, out := post(t, base, body, hmacHex(body)); status != http.StatusOK {
				t.Fatalf("post = %d %v, want 200", status, out)
			}
			waitFor(t, "the delivery", func() bool { return len(recv.bodies("/acme")) == 1 })
		})
	}
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestHelp: "switchboard --help" lists the commands before serve's flags and
// exits 0, like "switchboard help" and every "COMMAND -h".
func TestHelp(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"--help"}, &out)
	if code := exitCode(err); code != 0 {
		t.Fatalf("--help: exit code %d (err %v), want 0", code, err)
	}
	if !strings.Contains(out.String(), "Commands:") || !strings.Contains(out.String(), "Flags of serve") {
		t.Fatalf("--help printed %q, want the command list and a heading for serve's flags", out.String())
	}
	if code := exitCode(run(context.Background(), []string{"tenants", "create", "-h"}, io.Discard)); code != 0 {
		t.Fatalf("tenants create -h: exit code %d, want 0", code)
	}
	if code := exitCode(run(context.Background(), []string{"nonsense"}, io.Discard)); code != 1 {
		t.Fatalf("unknown command: exit code %d, want 1", code)
	}
}

// TestMigrateFlagsAfterAction: "migrate up|status --database-url X" works on
// X, as every other "COMMAND ACTION --flags" does, never on the default
// database; -h after the action prints help instead of running it.
func TestMigrateFlagsAfterAction(t *testing.T) {
	dir := t.TempDir()
	decoy := filepath.Join(dir, "decoy", "switchboard.db")
	t.Setenv("SWITCHBOARD_DATABASE_URL", "sqlite:"+decoy)
	target := "sqlite:" + filepath.Join(dir, "target.db")

	if out := runCLI(t, "migrate", "status", "--database-url", target); !strings.Contains(out, " pending\n") {
		t.Fatalf("status before migrate:\n%s\nwant pending migrations", out)
	}
	runCLI(t, "migrate", "up", "--database-url", target)
	if out := runCLI(t, "migrate", "status", "--database-url", target); strings.Contains(out, " pending\n") {
		t.Fatalf("status after migrate up:\n%s\nwant every migration applied", out)
	}
	if out := runCLI(t, "migrate", "--database-url", target, "status"); strings.Contains(out, " pending\n") {
		t.Fatalf("flags before the action:\n%s\nwant every migration applied", out)
	}
	if _, err := os.Stat(decoy); !os.IsNotExist(err) {
		t.Fatalf("the default database %s was opened (stat err %v); want only the one named by --database-url", decoy, err)
	}
	if err := run(context.Background(), []string{"migrate", "status", "-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("migrate status -h: err = %v, want flag.ErrHelp", err)
	}
	for _, args := range [][]string{{"migrate", "down"}, {"migrate", "status", "extra"}, {"migrate", "--database-url", target, "status", "extra"}} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("%v: no error, want the argument refused", args)
		}
	}
}

// TestDeliveryIDBeforeFlags: "deliveries show|retry ID --database-url X", the
// order the README writes, works on X, not on the default database.
func TestDeliveryIDBeforeFlags(t *testing.T) {
	dir := t.TempDir()
	decoy := filepath.Join(dir, "decoy", "switchboard.db")
	t.Setenv("SWITCHBOARD_DATABASE_URL", "sqlite:"+decoy)
	target := "sqlite:" + filepath.Join(dir, "target.db")
	runCLI(t, "migrate", "--database-url", target)
	for _, sub := range []string{"show", "retry"} {
		for _, args := range [][]string{{"deliveries", sub, "7", "--database-url", target}, {"deliveries", sub, "--database-url", target, "7"}} {
			err := run(context.Background(), args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "not found") {
				t.Fatalf("%v: err = %v, want delivery 7 not found in %s", args, err, target)
			}
		}
		if err := run(context.Background(), []string{"deliveries", sub, "7", "8", "--database-url", target}, io.Discard); err == nil {
			t.Errorf("deliveries %s 7 8: no error, want one id only", sub)
		}
	}
	if _, err := os.Stat(decoy); !os.IsNotExist(err) {
		t.Fatalf("the default database %s was opened (stat err %v); want only the one named by --database-url", decoy, err)
	}
}

// TestMetricsNamedInREADME: every metric the README names is at /metrics on
// a server that has not seen any traffic yet, labelled series included, so
// dashboards and alerts written from the README find them from the start.
func TestMetricsNamedInREADME(t *testing.T) {
	base, _ := startServer(t, testdb.Targets(t)[0].URL)
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`switchboard_ingest_requests_total`, `switchboard_ingest_duration_seconds_bucket`,
		`switchboard_ingest_batch_events_bucket`, `switchboard_ingest_commit_wait_seconds_bucket`,
		`switchboard_ingest_commit_seconds_bucket`,
		`switchboard_ingest_refused_total{bound="pending"}`, `switchboard_ingest_refused_total{bound="backlog"}`,
		`switchboard_delivery_attempts_total{outcome="delivered"}`, `switchboard_delivery_attempts_total{outcome="retry"}`,
		`switchboard_delivery_attempts_total{outcome="failed"}`, `switchboard_delivery_attempts_total{outcome="gone"}`,
		`switchboard_delivery_duration_seconds_count`, `switchboard_delivery_lag_seconds_count`,
		`switchboard_delivery_queue_depth`, `switchboard_endpoints`, `switchboard_endpoint_disabled_total`,
		`switchboard_delivery_load_batch_deliveries_count`, `switchboard_delivery_record_batch_attempts_count`,
		`switchboard_ingest_requests_total{outcome="unavailable"}`,
		`switchboard_held_events{reason="no_tenant"}`, `switchboard_held_events{reason="tenant_exists"}`,
		`switchboard_held_events{reason="no_source_id"}`, `switchboard_held_events_oldest_age_seconds{reason="no_tenant"}`,
		`switchboard_held_events_oldest_age_seconds{reason="tenant_exists"}`, `switchboard_held_events_oldest_age_seconds{reason="no_source_id"}`,
		`switchboard_delivery_pending_oldest_age_seconds`, `switchboard_ready`, `switchboard_ops_gauges_refreshed_timestamp_seconds`,
		`go_goroutines`, `process_cpu_seconds_total`,
	} {
		// Series, not values: the counters are process-wide, and earlier
		// tests in this package may have counted refusals or attempts.
		if !strings.Contains(string(body), "\n"+want+" ") && !strings.Contains(string(body), "\n"+want+"{") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestShutdownTimeoutIsOneBudget: SIGTERM with a request still being
// uploaded and a delivery still waiting for its receiver returns within
// SWITCHBOARD_SHUTDOWN_TIMEOUT (plus a margin), not once for the HTTP
// server and then again for the deliveries.
func TestShutdownTimeoutIsOneBudget(t *testing.T) {
	const budget = 3 * time.Second
	release := make(chan struct{})
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(recv.Close)
	t.Cleanup(func() { close(release) })
	target := testdb.Targets(t)[0]
	base, stop := startReplica(t, target.URL, "--shutdown-timeout", budget.String())
	runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints",
		"--name", "Acme", "--source-id", "org_7234567890", "--endpoint", recv.URL+"/hang")
	body, err := os.ReadFile("webhooks/samples/evaluation.json")
	if err != nil {
		t.Fatal(err)
	}
	if status, out := post(t, base, body, hmacHex(body)); status != http.StatusOK {
		t.Fatalf("post = %d %v, want 200", status, out)
	}
	waitFor(t, "the delivery to reach the hanging receiver", func() bool { return hits.Load() == 1 })
	// A webhook whose body is still arriving: the HTTP server waits for it.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /webhooks/boooply HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the server read the headers
	started := time.Now()
	stop()
	if took := time.Since(started); took > budget+budget/2 {
		t.Fatalf("shutdown took %v, want about the %v budget", took.Round(time.Millisecond), budget)
	}
}
