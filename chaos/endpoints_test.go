package chaos

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
)

// healthyLagBound is the stated bound: while other tenants' endpoints fail,
// hang, reset and flap, a healthy tenant's p99 lag (2xx to Boooply → its
// receiver has the event) stays under this.
const healthyLagBound = time.Second

// TestEndpointChaos sends steady load to seven tenants whose receivers are
// healthy (two), fail at random, hang, reset connections, answer slowly,
// and flap. Every acked delivery ends delivered or failed with a recorded
// reason, the healthy tenants lose nothing, and their lag stays bounded.
func TestEndpointChaos(t *testing.T) {
	longRun(t)
	led := newLedger()
	dbURL := startPrivatePG(t).url()
	kinds := []struct {
		source string
		b      behaviour
	}{
		{"org_healthy_a", healthy}, {"org_healthy_b", healthy}, {"org_random500", failRandomly(0.5)},
		{"org_hang", hang}, {"org_reset", resetConn}, {"org_slow", slow(700 * time.Millisecond)},
		{"org_flap", flap(3 * time.Second)},
	}
	var sources []string
	for _, k := range kinds {
		sk := newSink(t, led, k.b)
		mustCreateTenant(t, dbURL, k.source, sk.URL+"/"+k.source)
		sources = append(sources, k.source)
	}
	// Bounded so every delivery settles within minutes: five attempts,
	// 1 s each, up to 32 in flight per endpoint, and the circuit breaker
	// out of the way (with it, an open circuit holds a failing endpoint's
	// backlog for its cooldown, by design, for far longer than a test).
	srv := startServer(t, dbURL, "--delivery-timeout", "1s", "--retry-schedule", "50ms,100ms,200ms,400ms",
		"--endpoint-max-concurrency", "32", "--breaker-threshold", "1000000")
	st := &loadStats{}
	runLoad(context.Background(), loadSpec{base: srv.base, sources: sources, rate: 40, maxEvents: 2400, maxTime: 60 * time.Second}, led, st)
	db := openRead(t, dbURL)
	settled := waitSettled(t, db, 4*time.Minute)
	tl := led.tally()

	var unexplained int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM deliveries WHERE status = 'failed'
		AND last_error = '' AND last_status_code IS NULL`).Scan(&unexplained); err != nil {
		t.Fatal(err)
	}
	if unexplained > 0 {
		t.Errorf("%d failed deliveries record no reason", unexplained)
	}
	healthySet := map[string]bool{"org_healthy_a": true, "org_healthy_b": true}
	lost := led.lostOf(healthySet)
	if lost > 0 {
		t.Errorf("%d acked events of healthy tenants never arrived", lost)
	}
	lags := led.lags(healthySet)
	p50, p99, worst := percentile(lags, 50), percentile(lags, 99), percentile(lags, 100)
	if p99 > healthyLagBound {
		t.Errorf("healthy tenants' p99 lag = %s, want < %s", p99, healthyLagBound)
	}
	noPanics(t, srv.logs())
	f := loadFigures(st, tl)
	// Here an acked event that never arrived is expected (hang, reset): it
	// must end failed with a reason. Lost means still open, or a healthy
	// tenant's event missing.
	f["failed_with_reason"], f["lost"] = tl.Lost-lost, lost+openDeliveries(t, db)
	f["settled_s"], f["deliveries"], f["per_tenant"] = settled.Seconds(), deliveryStatuses(t, db), perTenant(t, db)
	f["healthy_lost"], f["healthy_lag_p50_ms"], f["healthy_lag_p99_ms"], f["healthy_lag_max_ms"] = lost, ms(p50), ms(p99), ms(worst)
	report(t, f)
}

// perTenant counts deliveries by tenant sourceId and status.
func perTenant(t *testing.T, db *database.DB) map[string]map[string]int {
	t.Helper()
	rows, err := db.SQL.Query(`SELECT t.source_id, d.status, COUNT(*) FROM deliveries d
		JOIN tenants t ON t.id = d.tenant_id GROUP BY t.source_id, d.status`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var src, status string
		var n int
		if err := rows.Scan(&src, &status, &n); err != nil {
			t.Fatal(err)
		}
		if out[src] == nil {
			out[src] = map[string]int{}
		}
		out[src][status] = n
	}
	return out
}
