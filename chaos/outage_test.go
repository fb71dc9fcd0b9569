package chaos

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"
)

// TestDatabaseOutage stops a private PostgreSQL cluster under load and
// starts it again, without touching Switchboard: while it is down ingest
// answers 503 (never 2xx) and /readyz fails; afterwards Switchboard
// recovers on its own and every acked event is delivered. CI holds the
// database down for about 5 s; the long run for about 20 s.
func TestDatabaseOutage(t *testing.T) {
	refusals := int64(500)
	if os.Getenv("SWITCHBOARD_CHAOS") == "long" {
		refusals = 2000
	}
	pg := startPrivatePG(t)
	led := newLedger()
	sk := newSink(t, led, healthy)
	sources := []string{"org_outage_a", "org_outage_b"}
	for _, src := range sources {
		mustCreateTenant(t, pg.url(), src, sk.URL+"/"+src)
	}
	srv := startServer(t, pg.url())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &loadStats{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runLoad(ctx, loadSpec{base: srv.base, sources: sources, rate: 100, maxEvents: 20_000, maxTime: 5 * time.Minute}, led, st)
	}()
	waitAcks(t, st, 300)
	pg.stop()
	down := time.Now()
	unavailableBefore := st.Unavailable.Load()
	readyFailed := waitUntil(30*time.Second, func() bool { return status(srv.base()+"/readyz") == http.StatusServiceUnavailable })
	// Keep sending through the outage until plenty of requests were refused.
	waitUntil(90*time.Second, func() bool { return st.Unavailable.Load()-unavailableBefore >= refusals })
	upAt := time.Now()
	pg.start()
	recovered := waitUntil(120*time.Second, func() bool { return status(srv.base()+"/readyz") == http.StatusOK })
	recovery := time.Since(upAt)
	acksAfter := st.Acked.Load() + 300
	waitAcks(t, st, acksAfter)
	cancel()
	<-done
	_, drain := led.waitDrained(3 * time.Minute)
	settled := waitSettled(t, openRead(t, pg.url()), 3*time.Minute)
	tl := led.tally()

	if !readyFailed {
		t.Error("/readyz did not fail while the database was down")
	}
	if !recovered {
		t.Errorf("/readyz did not recover within 120 s of the database's return:\n%s", tail(srv.logs()))
	}
	if n := led.ackedWithin(down, upAt); n > 0 {
		t.Errorf("%d events sent while the database was down got a 2xx", n)
	}
	if st.Unavailable.Load() == 0 {
		t.Error("no 503 during the outage: the run proves nothing")
	}
	requireNoLoss(t, tl)
	noPanics(t, srv.logs())
	f := loadFigures(st, tl)
	f["outage_s"], f["readyz_recovery_s"] = upAt.Sub(down).Seconds(), recovery.Seconds()
	f["drain_s"], f["settled_s"] = drain.Seconds(), settled.Seconds()
	f["acked_during_outage"] = led.ackedWithin(down, upAt)
	report(t, f)
}
