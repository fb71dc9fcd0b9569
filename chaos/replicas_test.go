package chaos

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestMultiReplicaCrash runs three servers on one (private) PostgreSQL database
// behind a round-robin client that skips replicas it knows are down, and
// kills one with SIGKILL (then restarts it) twice under load: every acked
// event is delivered, each event is stored once.
func TestMultiReplicaCrash(t *testing.T) {
	longRun(t)
	// A private cluster: three replicas open up to 3 × 41 connections,
	// more than a default server's max_connections (100) shared with others.
	dbURL := startPrivatePG(t).url()
	led := newLedger()
	sk := newSink(t, led, slow(30*time.Millisecond))
	sources := []string{"org_replica_a", "org_replica_b", "org_replica_c"}
	for _, src := range sources {
		mustCreateTenant(t, dbURL, src, sk.URL+"/"+src)
	}
	replicas := []*server{startServer(t, dbURL), startServer(t, dbURL), startServer(t, dbURL)}
	var down atomic.Int32 // index+1 of the replica being killed; 0 when all are up
	var next atomic.Uint64
	base := func() string {
		for {
			i := int(next.Add(1) % uint64(len(replicas)))
			if int(down.Load()) != i+1 {
				return replicas[i].base()
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &loadStats{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runLoad(ctx, loadSpec{base: base, sources: sources, rate: 150, maxEvents: 2000, maxTime: 3 * time.Minute}, led, st)
	}()
	for cycle, victim := range []int{1, 2} {
		waitAcks(t, st, int64(300*(cycle+1)))
		down.Store(int32(victim + 1))
		replicas[victim].kill()
		waitAcks(t, st, st.Acked.Load()+150) // the others carry the load
		replicas[victim].start()
		down.Store(0)
	}
	waitAcks(t, st, st.Acked.Load()+300)
	cancel()
	<-done
	_, drain := led.waitDrained(crashDrainTimeout)
	db := openRead(t, dbURL)
	settled := waitSettled(t, db, crashDrainTimeout)
	tl := led.tally()
	requireNoLoss(t, tl)
	var events, codes int
	if err := db.SQL.QueryRow("SELECT COUNT(*), COUNT(DISTINCT meeting_code) FROM events").Scan(&events, &codes); err != nil {
		t.Fatal(err)
	}
	if events != codes {
		t.Errorf("%d event rows for %d meeting codes: an event was stored twice", events, codes)
	}
	for _, r := range replicas {
		noPanics(t, r.logs())
	}
	f := loadFigures(st, tl)
	f["replicas"], f["kills"], f["drain_s"], f["settled_s"] = 3, 2, drain.Seconds(), settled.Seconds()
	f["deliveries"] = deliveryStatuses(t, db)
	report(t, f)
}
