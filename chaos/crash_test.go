package chaos

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// crashDrainTimeout bounds the wait for every acked event after the last
// restart. A job that was running when its process died is handed out again
// only after River's rescue delay (--rescue-stuck-after, by default the
// longest attempt + 1 min, at least 2 min; checked every 30 s), so settling
// after a crash takes up to about 150 s with the defaults.
const crashDrainTimeout = 4 * time.Minute

// TestCrashSQLite kills the server with SIGKILL under steady load on the
// embedded SQLite default and restarts it on the same file: every acked
// event reaches its receiver. CI runs one cycle; the long run five.
func TestCrashSQLite(t *testing.T) {
	if os.Getenv("SWITCHBOARD_CHAOS") == "long" {
		crashRun(t, "sqlite:"+filepath.Join(t.TempDir(), "switchboard.db"), 5, 30*time.Millisecond)
		return
	}
	// CI: a delivery cut by the kill is rescued after 5 s, not the default 2 min.
	crashRun(t, "sqlite:"+filepath.Join(t.TempDir(), "switchboard.db"), 1, 0, "--rescue-stuck-after", "5s")
}

// TestCrashPostgres is the same on PostgreSQL (a private cluster, so the
// run's connections don't crowd the shared server).
func TestCrashPostgres(t *testing.T) {
	longRun(t)
	crashRun(t, startPrivatePG(t).url(), 5, 30*time.Millisecond)
}

// crashRun posts at 100 events/s to three tenants while killing and
// restarting the server cycles times, then waits for the drain. Receivers
// answer after latency, so deliveries are in flight when the kill lands
// (and their jobs wait for River's rescue).
func crashRun(t *testing.T, dbURL string, cycles int, latency time.Duration, serveFlags ...string) {
	led := newLedger()
	sk := newSink(t, led, slow(latency))
	sources := []string{"org_crash_a", "org_crash_b", "org_crash_c"}
	for _, src := range sources {
		mustCreateTenant(t, dbURL, src, sk.URL+"/"+src)
	}
	srv := startServer(t, dbURL, serveFlags...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &loadStats{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runLoad(ctx, loadSpec{base: srv.base, sources: sources, rate: 100, maxEvents: 200 * (cycles + 1),
			maxTime: time.Duration(cycles+1) * time.Minute}, led, st)
	}()
	for i := range cycles {
		waitAcks(t, st, int64(150*(i+1)))
		srv.kill()
		t.Logf("cycle %d: killed after %d acks", i+1, st.Acked.Load())
		srv.start()
	}
	waitAcks(t, st, int64(150*(cycles+1)))
	cancel()
	<-done
	_, drain := led.waitDrained(crashDrainTimeout)
	db := openRead(t, dbURL)
	// A delivery whose attempt died with the process stays open until River
	// rescues its job (about 95 s): the long run waits for that too.
	var settled time.Duration
	if cycles > 1 {
		settled = waitSettled(t, db, crashDrainTimeout)
	}
	tl := led.tally()
	requireNoLoss(t, tl)
	noPanics(t, srv.logs())
	f := loadFigures(st, tl)
	f["cycles"], f["drain_s"], f["settled_s"] = cycles, drain.Seconds(), settled.Seconds()
	f["deliveries"] = deliveryStatuses(t, db)
	report(t, f)
}

// waitAcks waits (bounded) until the load client has n acks.
func waitAcks(t *testing.T, st *loadStats, n int64) {
	t.Helper()
	if !waitUntil(60*time.Second, func() bool { return st.Acked.Load() >= n }) {
		t.Fatalf("only %d acks after 60 s, want %d", st.Acked.Load(), n)
	}
}
