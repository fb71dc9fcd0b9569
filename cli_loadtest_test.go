package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/loadtest"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestLoadtestSpawn runs a tiny load test (2 s at 20 events/s, with the
// baselines) against an in-process server on each dialect and checks that
// the report's counts add up: every event sent is acked, and every acked
// event reached the receivers once.
func TestLoadtestSpawn(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			var out bytes.Buffer
			args := []string{"loadtest", "--spawn", "--database-url", target.URL, "--rate", "20", "--duration", "2s",
				"--tenants", "3", "--baseline", "--json", "--drain", "20s", "--db-stats-wait", "0"}
			if err := run(context.Background(), args, &out); err != nil {
				t.Fatalf("loadtest: %v", err)
			}
			var rep loadtest.Report
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("report is not JSON: %v\n%s", err, out.String())
			}
			if rep.SchemaVersion != loadtest.SchemaVersion || rep.Machine.CPUs == 0 || len(rep.Phases) != 3 || len(rep.Ratios) != 2 {
				t.Fatalf("report misses fields: %+v", rep)
			}
			for _, p := range rep.Phases {
				if p.Sent < 30 || p.Acked != p.Sent || p.Rejected+p.Errors+p.Skipped != 0 {
					t.Errorf("%s: sent %d, acked %d, rejected %d, errors %d, skipped %d; want ≥ 30 sent, all acked", p.Name, p.Sent, p.Acked, p.Rejected, p.Errors, p.Skipped)
				}
			}
			sb := rep.Phases[2]
			d := sb.Delivery
			if sb.Name != "switchboard" || d == nil || d.Expected != int(sb.Acked) || d.Delivered != d.Expected || d.Missing != 0 || d.DuplicatesByKey != 0 {
				t.Fatalf("switchboard delivery = %+v, want every acked event delivered once", d)
			}
			// The server's own account comes from its /metrics; the baselines have none.
			if a := sb.ServerAck; a == nil || a.AckMeanMs <= 0 || a.CommitMeanMs <= 0 || a.EventsPerCommit < 1 ||
				a.AckP50Ms <= 0 || a.AckP99Ms < a.AckP50Ms || a.AckWithin10msShare < 0 || a.AckWithin10msShare > 1 || a.CommitP99Ms <= 0 ||
				// 10 ms is a bucket bound, so the two agree about the median
				// (a p50 of exactly 10.00 is rounding, either way).
				(a.AckWithin10msShare >= 0.5 && a.AckP50Ms > 10) || (a.AckWithin10msShare < 0.5 && a.AckP50Ms < 10) {
				t.Errorf("switchboard server_ack = %+v, want its ack and commit means, ≥ 1 event per commit, percentiles and a share within 10 ms that agree", a)
			}
			if rep.Phases[0].ServerAck != nil || rep.Phases[1].ServerAck != nil {
				t.Errorf("a baseline has a server_ack: %+v / %+v", rep.Phases[0].ServerAck, rep.Phases[1].ServerAck)
			}
			if d.Lag.Count != d.Delivered || rep.Storage == nil || rep.Storage.Events != sb.Acked {
				t.Errorf("lag samples %d of %d delivered; storage %+v", d.Lag.Count, d.Delivered, rep.Storage)
			}
			// The tenants came through the API, by the run's own admin, with
			// signed endpoints, and every delivery verified.
			admin := "loadtest-" + rep.Config.RunID + "@loadtest.switchboard.local"
			checkAPITenants(t, target.URL, rep.Config.RunID, 3, admin)
			// The admin came from the CLI's user creation and made its API
			// token through the API, which created the tenants.
			db := testdb.Open(t, target.URL)
			if n := countRows(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'token.create' AND actor = ?`, admin); n != 1 {
				t.Errorf("token.create audit entries by %s: %d, want 1", admin, n)
			}
			if n := countRows(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'tenant.create' AND actor = ? AND token_id IS NOT NULL`, admin); n != 3 {
				t.Errorf("tenant.create entries made with an API token: %d, want 3", n)
			}
			if d.BadSignatures != 0 || d.DuplicatesByID != 0 {
				t.Errorf("bad signatures %d, duplicates by webhook-id %d; want none", d.BadSignatures, d.DuplicatesByID)
			}
			// PostgreSQL's backends run on this machine: their CPU per event is
			// read from /proc. The in-process server shares its pid with the
			// load tool, so no server figure is claimed.
			if wantDB := target.Name == "postgres"; (sb.DBCPUMsPerEvent > 0) != wantDB || sb.ServerCPUMsPerEvent != 0 {
				t.Errorf("CPU per event: server %.3f ms, PostgreSQL %.3f ms; want PostgreSQL's only on PostgreSQL",
					sb.ServerCPUMsPerEvent, sb.DBCPUMsPerEvent)
			}
		})
	}
}

// TestLoadtestRefusesRemote: a target off loopback needs --allow-remote.
func TestLoadtestRefusesRemote(t *testing.T) {
	err := run(context.Background(), []string{"loadtest", "--target", "http://203.0.113.7:8080", "--database-url",
		"sqlite:" + t.TempDir() + "/x.db", "--webhook-secret", "s", "--api-token", "t", "--rate", "1", "--duration", "1s"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Fatalf("err = %v, want a refusal naming --allow-remote", err)
	}
}

// TestLoadtestTargetNeedsHTTP: a target without http:// is refused before
// anything runs (it parsed as a scheme without a host, so it passed the
// loopback check and every request failed).
func TestLoadtestTargetNeedsHTTP(t *testing.T) {
	for _, target := range []string{"localhost:8080", "db.example.com:8080", "ftp://127.0.0.1:21", "http://", "127.0.0.1:8080"} {
		err := run(context.Background(), []string{"loadtest", "--target", target, "--database-url",
			"sqlite:" + t.TempDir() + "/x.db", "--webhook-secret", "s", "--rate", "1", "--duration", "1s"}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "http://host:port") {
			t.Errorf("--target %s: err = %v, want a refusal asking for http://host:port", target, err)
		}
	}
}

// TestLoadtestLocalDatabases: loopback addresses, localhost and PostgreSQL's
// Unix socket count as this machine; anything else needs --allow-remote.
func TestLoadtestLocalDatabases(t *testing.T) {
	for url, local := range map[string]bool{
		"postgres://postgres@127.0.0.1:5432/x":            true,
		"postgres://postgres@[::1]:5432/x":                true,
		"postgres://postgres@localhost/x":                 true,
		"postgres://postgres@/x?host=/var/run/postgresql": true,
		"postgres:///x": true,
		"postgres://postgres@/x?host=/tmp,127.0.0.1":          true,
		"postgres://postgres@db.example.com/x":                false,
		"postgres://postgres@127.0.0.1/x?host=db.example.com": false,
		"postgres://postgres@/x?host=/tmp,db.example.com":     false,
		"http://198.51.100.1:8080":                            false,
	} {
		err := (&loadtestFlags{opts: loadtest.Options{DatabaseURL: url}}).checkLoopback("")
		if (err == nil) != local {
			t.Errorf("%s: err = %v, want local = %v", url, err, local)
		}
	}
}

// TestLoadtestTarget drives an already running server (--target) whose
// tenants are created through its API, with a failing share of receiver
// answers that Switchboard retries: every acked event still arrives.
func TestLoadtestTarget(t *testing.T) {
	target := testdb.Targets(t)[0]
	// A 20 % failure rate gives some endpoint five failures in a row about
	// once in a hundred runs, which would open its circuit for a minute
	// (longer than the drain); the breaker has tests of its own. Nine
	// attempts make a delivery that fails every one about 1 in 2 million.
	base, _ := startServer(t, target.URL, "--retry-schedule", "20ms,20ms,20ms,20ms,20ms,20ms,20ms,20ms", "--breaker-threshold", "1000")
	p := loadtestTarget(t, base, target.URL, "--max-events", "25", "--fail-rate", "0.2",
		// The server runs in this test process: its CPU reading is this pid's.
		"--server-pid", strconv.Itoa(os.Getpid()))
	if p.Sent != 25 || p.Acked != 25 || p.Delivery == nil || p.Delivery.Delivered != 25 || p.Delivery.Missing != 0 || p.StoredEvents != 25 {
		t.Fatalf("got %+v / %+v, want 25 sent, acked, stored and delivered", p, p.Delivery)
	}
	if p.ServerCPUMsPerEvent <= 0 || p.RSSMaxMB <= 0 {
		t.Errorf("server CPU per event %.3f ms, RSS %.0f MB: want both read from --server-pid", p.ServerCPUMsPerEvent, p.RSSMaxMB)
	}
	// The server shares the tool's process: no separate tool figure.
	if p.ToolCPUMsPerEvent != 0 {
		t.Errorf("tool CPU %.3f ms per event with the server in its process, want none", p.ToolCPUMsPerEvent)
	}
}

// TestLoadtestToolCPU: when --server-pid names another process, the load
// tool reports its own CPU per event beside the server's. Here the "other
// process" is an idle sleep (so the server's figure is zero and left out)
// and the tool's process holds the real server, so its figure is positive.
func TestLoadtestToolCPU(t *testing.T) {
	target := testdb.Targets(t)[0]
	base, _ := startServer(t, target.URL)
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatalf("start a process to name: %v", err)
	}
	t.Cleanup(func() { other.Process.Kill(); other.Wait() })
	p := loadtestTarget(t, base, target.URL, "--max-events", "20", "--server-pid", strconv.Itoa(other.Process.Pid))
	if p.StoredEvents != 20 || p.ToolCPUMsPerEvent <= 0 || p.ServerCPUMsPerEvent != 0 {
		t.Errorf("stored %d, tool CPU %.3f ms, server CPU %.3f ms per event: want 20, a positive tool figure and none for the idle process",
			p.StoredEvents, p.ToolCPUMsPerEvent, p.ServerCPUMsPerEvent)
	}
}

// TestLoadtestWarmup: --warmup runs a phase of its own before the measured
// one; each phase counts only its own events, and every event of both is
// stored and delivered.
func TestLoadtestWarmup(t *testing.T) {
	target := testdb.Targets(t)[0]
	var out bytes.Buffer
	args := []string{"loadtest", "--spawn", "--database-url", target.URL, "--rate", "20", "--duration", "1s", "--warmup", "1s",
		"--tenants", "2", "--json", "--drain", "20s", "--db-stats-wait", "0"}
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatalf("loadtest: %v", err)
	}
	var rep loadtest.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if len(rep.Phases) != 2 || rep.Phases[0].Name != "switchboard-warmup" || rep.Phases[1].Name != "switchboard" || rep.Config.WarmupS != 1 {
		t.Fatalf("phases %+v, warm-up %v s; want switchboard-warmup (1 s) then switchboard", rep.Phases, rep.Config.WarmupS)
	}
	var acked int64
	for _, p := range rep.Phases {
		d := p.Delivery
		if p.Sent < 15 || p.Acked != p.Sent || d == nil || d.Expected != int(p.Acked) || d.Delivered != d.Expected || d.Lag.Count != d.Delivered {
			t.Errorf("%s: sent %d, acked %d, delivery %+v; want its own events only, all delivered", p.Name, p.Sent, p.Acked, d)
		}
		acked += p.Acked
		counted := 0
		for _, w := range p.AckBySecond {
			counted += w.Count
		}
		if len(p.AckBySecond) == 0 || counted != p.AckLatency.Count {
			t.Errorf("%s: %d ack latencies by second in %d windows, want all %d", p.Name, counted, len(p.AckBySecond), p.AckLatency.Count)
		}
	}
	if rep.Storage == nil || rep.Storage.Events != acked {
		t.Errorf("storage %+v, want the %d events of both phases", rep.Storage, acked)
	}
	err := run(context.Background(), []string{"loadtest", "--spawn", "--database-url", target.URL, "--rate", "1", "--warmup", "-1s"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "warm-up") {
		t.Errorf("negative warm-up: err = %v, want a refusal naming the warm-up", err)
	}
}

// loadtestTarget runs the load tool against the server at base (two
// tenants, two senders, JSON) with an admin's token and extra flags, and
// returns its last phase.
func loadtestTarget(t *testing.T, base, dbURL string, extra ...string) loadtest.PhaseReport {
	t.Helper()
	var out bytes.Buffer
	args := append([]string{"loadtest", "--target", base, "--database-url", dbURL, "--webhook-secret", testSecret,
		"--api-token", adminBearer(t, dbURL, base),
		"--concurrency", "2", "--duration", "30s", "--tenants", "2", "--json", "--drain", "20s"}, extra...)
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatalf("loadtest: %v", err)
	}
	var rep loadtest.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	return rep.Phases[len(rep.Phases)-1]
}

// TestLoadtestRefusesBeforeSpawning: with --spawn, a database off loopback
// and a bad flag are refused before a server starts (it would dial, and
// migrate, the remote database): with --keep, a spawned server would leave
// its folder behind.
func TestLoadtestRefusesBeforeSpawning(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"remote database", []string{"--database-url", "postgres://postgres@203.0.113.7:1/x?connect_timeout=1", "--rate", "1"}, "--allow-remote"},
		{"remote database, counted", []string{"--database-url", "postgres://postgres@203.0.113.7:1/x?connect_timeout=1", "--rate", "1",
			"--count-statements"}, "--allow-remote"},
		{"bad rate", []string{"--rate", "NaN"}, "rate"},
		{"duration past cap", []string{"--rate", "1", "--duration", "11m"}, "duration"},
		{"statements on SQLite", []string{"--rate", "1", "--count-statements"}, "--count-statements"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			// --keep leaves the folder of any server that was spawned.
			args := append([]string{"loadtest", "--spawn", "--keep", "--duration", "1s"}, tc.args...)
			err := run(context.Background(), args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "spawned server") {
				t.Fatalf("err = %v, want a refusal mentioning %q before any server starts", err, tc.wantErr)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Fatalf("left in TMPDIR: %v, want nothing", left)
			}
		})
	}
}
