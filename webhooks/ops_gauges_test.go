package webhooks

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// gaugeValues gathers g once: series (name plus its reason, if any) to value.
func gaugeValues(t *testing.T, g *OpsGauges) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(g)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			out[seriesName(f, m)] = m.GetGauge().GetValue()
		}
	}
	return out
}

func seriesName(f *dto.MetricFamily, m *dto.Metric) string {
	name := f.GetName()
	for _, l := range m.GetLabel() {
		name += fmt.Sprintf("{%s=%q}", l.GetName(), l.GetValue())
	}
	return name
}

// TestOpsGaugesValues: on both dialects, before any refresh every series is
// there at zero; then the held events count and age by reason, and the
// pending-delivery age counts from the start of the current round (a
// manually retried delivery's retry, not its creation), in the order the
// deliveries settle.
func TestOpsGaugesValues(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		g := NewOpsGauges(db.Gorm, nil, func() time.Time { return now })
		want := map[string]float64{"switchboard_ready": 0, "switchboard_ops_gauges_refreshed_timestamp_seconds": 0,
			"switchboard_delivery_pending_oldest_age_seconds": 0}
		for _, reason := range heldReasons {
			want[`switchboard_held_events{reason="`+reason+`"}`] = 0
			want[`switchboard_held_events_oldest_age_seconds{reason="`+reason+`"}`] = 0
		}
		assertGauges(t, "before the first refresh", gaugeValues(t, g), want)

		ids := mustCreateDeliveries(t, db, 3)
		set := func(id int64, cols map[string]any) {
			t.Helper()
			if err := db.Gorm.Table("deliveries").Where("id = ?", id).Updates(cols).Error; err != nil {
				t.Fatal(err)
			}
		}
		// A delivery created 3 h ago whose manual retry started a minute ago,
		// one created 2 h ago, one 30 minutes ago.
		set(ids[0], map[string]any{"created_at": now.Add(-3 * time.Hour), "round_started_at": now.Add(-time.Minute)})
		set(ids[1], map[string]any{"created_at": now.Add(-2 * time.Hour)})
		set(ids[2], map[string]any{"created_at": now.Add(-30 * time.Minute)})
		svc := newTestService(t, db)
		for i, body := range []string{
			`{"event":"interview.evaluation","data":{"meetingCode":"held-1","sourceId":"org-nobody","summary":"s"}}`,
			`{"event":"interview.evaluation","data":{"meetingCode":"held-2","sourceId":"org-nobody","summary":"s"}}`,
			`{"event":"interview.evaluation","data":{"meetingCode":"held-3","summary":"s"}}`,
		} {
			res, err := svc.Ingest(ctx, mustParse(t, body))
			if err != nil || res.Routed {
				t.Fatalf("ingest %d: %+v %v, want held", i, res, err)
			}
			if err := db.Gorm.Table("events").Where("id = ?", res.EventID).
				Update("received_at", now.Add(-time.Duration(4-i)*time.Hour)).Error; err != nil {
				t.Fatal(err)
			}
		}

		steps := []struct {
			name   string
			before func()
			want   map[string]float64
		}{
			{name: "three pending, three held", want: map[string]float64{
				"switchboard_delivery_pending_oldest_age_seconds":                    7200,
				`switchboard_held_events{reason="no_tenant"}`:                        2,
				`switchboard_held_events_oldest_age_seconds{reason="no_tenant"}`:     4 * 3600,
				`switchboard_held_events{reason="no_source_id"}`:                     1,
				`switchboard_held_events_oldest_age_seconds{reason="no_source_id"}`:  2 * 3600,
				`switchboard_held_events{reason="tenant_exists"}`:                    0,
				`switchboard_held_events_oldest_age_seconds{reason="tenant_exists"}`: 0,
			}},
			{name: "the tenant exists now", before: func() { mustCreateTenant(t, db, "org-nobody", "https://ats.example/b") }, want: map[string]float64{
				`switchboard_held_events{reason="no_tenant"}`:                        0,
				`switchboard_held_events_oldest_age_seconds{reason="no_tenant"}`:     0,
				`switchboard_held_events{reason="tenant_exists"}`:                    2,
				`switchboard_held_events_oldest_age_seconds{reason="tenant_exists"}`: 4 * 3600,
			}},
			{name: "the 2 h one delivered", before: func() { set(ids[1], map[string]any{"status": DeliveryDelivered}) },
				want: map[string]float64{"switchboard_delivery_pending_oldest_age_seconds": 1800}},
			{name: "the 30 min one failed", before: func() { set(ids[2], map[string]any{"status": DeliveryFailed}) },
				want: map[string]float64{"switchboard_delivery_pending_oldest_age_seconds": 60}},
			{name: "the retried one delivered", before: func() { set(ids[0], map[string]any{"status": DeliveryDelivered}) },
				want: map[string]float64{"switchboard_delivery_pending_oldest_age_seconds": 0}},
		}
		for _, st := range steps {
			if st.before != nil {
				st.before()
			}
			if err := g.Refresh(ctx); err != nil {
				t.Fatalf("%s: refresh: %v", st.name, err)
			}
			st.want["switchboard_ready"] = 1
			st.want["switchboard_ops_gauges_refreshed_timestamp_seconds"] = float64(now.Unix())
			assertGauges(t, st.name, gaugeValues(t, g), st.want)
		}
	})
}

func assertGauges(t *testing.T, step string, got, want map[string]float64) {
	t.Helper()
	for series, v := range want {
		if g, ok := got[series]; !ok {
			t.Errorf("%s: %s missing", step, series)
		} else if g != v {
			t.Errorf("%s: %s = %v, want %v", step, series, g, v)
		}
	}
}

// TestOpsGaugesKeepLastValues: a refresh that fails (here: the database
// is not ready) keeps the values last read and reports not ready.
func TestOpsGaugesKeepLastValues(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		mustCreateDeliveries(t, db, 1)
		var notReady error
		now := time.Now().Add(time.Minute) // a minute after the delivery was created
		g := NewOpsGauges(db.Gorm, func(context.Context) error { return notReady }, func() time.Time { return now })
		if err := g.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		notReady = fmt.Errorf("migrations pending")
		if err := g.Refresh(context.Background()); err == nil {
			t.Fatal("refresh while not ready: no error")
		}
		got := gaugeValues(t, g)
		if got["switchboard_ready"] != 0 {
			t.Errorf("switchboard_ready = %v, want 0", got["switchboard_ready"])
		}
		if age := got["switchboard_delivery_pending_oldest_age_seconds"]; age < 3660 {
			t.Errorf("pending age = %v, want the last value read, aged by the hour since (≥ 3660)", age)
		}
	})
}

// TestOpsGaugesQueriesUseIndexes: both queries read a partial index (only
// held events, only pending deliveries), never events or deliveries
// wholesale. PostgreSQL plans a scan of a tiny table whatever the indexes;
// with sequential scans off it still uses an index only if one applies.
func TestOpsGaugesQueriesUseIndexes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		held, pending := opsQueries(db.Gorm)
		for _, tc := range []struct{ query, index string }{
			{held, "events_unrouted_idx"},
			{pending, "deliveries_pending_since_idx"},
		} {
			plan := explainPlan(t, db.Gorm, tc.query)
			if !strings.Contains(plan, tc.index) {
				t.Errorf("plan of %q does not use %s:\n%s", tc.query, tc.index, plan)
			}
		}
	})
}

// explainPlan returns query's plan as text.
func explainPlan(t *testing.T, db *gorm.DB, query string) string {
	t.Helper()
	prefix := "EXPLAIN QUERY PLAN "
	var lines []string
	err := db.Transaction(func(tx *gorm.DB) error {
		if db.Dialector.Name() == "postgres" {
			prefix = "EXPLAIN "
			if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
				return err
			}
		}
		rows, err := tx.Raw(prefix + query).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			for i := range vals {
				vals[i] = new(any)
			}
			if err := rows.Scan(vals...); err != nil {
				return err
			}
			for _, v := range vals {
				if b, ok := (*(v.(*any))).([]byte); ok {
					lines = append(lines, string(b))
				} else {
					lines = append(lines, fmt.Sprint(*(v.(*any))))
				}
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// failQueries makes every query through db fail while *down is true (the
// database as seen from a replica that lost it), and counts the statements
// run through it in *n.
func failQueries(t *testing.T, db *gorm.DB, down *atomic.Bool, n *atomic.Int64) {
	t.Helper()
	hook := func(tx *gorm.DB) {
		n.Add(1)
		if down.Load() {
			_ = tx.AddError(errors.New("database down (test)"))
		}
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().Before("gorm:query").Register("test:down_query", hook),
		cb.Row().Before("gorm:row").Register("test:down_row", hook),
		cb.Raw().Before("gorm:raw").Register("test:down_raw", hook),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpsGaugesQueueAndEndpoints: on both dialects, the queue depth by River
// state and the endpoints by health are exported at zero before the first
// refresh (every state, every health), follow the database on refresh, and
// keep their last values when a refresh fails (the database is down), with
// the refreshed timestamp telling how stale they are. A scrape never runs
// a query. They used to be read at each scrape (up to 5 s) and vanished
// when the read failed.
func TestOpsGaugesQueueAndEndpoints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		var down atomic.Bool
		var queries atomic.Int64
		failQueries(t, db.Gorm, &down, &queries)
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		g := NewOpsGauges(db.Gorm, nil, func() time.Time { return now })

		mustCreateDeliveries(t, db, 4) // one healthy endpoint, four available jobs
		// One of them finished: River keeps it an hour, but it is no depth.
		if err := db.Gorm.Exec("UPDATE river_job SET state = 'completed', finalized_at = ? WHERE id = (SELECT MIN(id) FROM river_job)", now).Error; err != nil {
			t.Fatal(err)
		}
		_, ep := createTenant(t, db, "org_gauges_off", "https://ats.example/off", nil)
		if err := disableEndpoint(db.Gorm, ep.ID, "410 Gone", now); err != nil {
			t.Fatal(err)
		}
		zero := map[string]float64{}
		for _, st := range queueStates {
			zero[`switchboard_delivery_queue_depth{state="`+st+`"}`] = 0
		}
		for _, h := range endpointHealths {
			zero[`switchboard_endpoints{health="`+h+`"}`] = 0
		}
		before := queries.Load()
		assertGauges(t, "before the first refresh", gaugeValues(t, g), zero)
		if n := queries.Load() - before; n != 0 {
			t.Errorf("a scrape ran %d queries, want none", n)
		}

		if err := g.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		read := maps.Clone(zero)
		read[`switchboard_delivery_queue_depth{state="available"}`] = 3
		read[`switchboard_endpoints{health="healthy"}`] = 1
		read[`switchboard_endpoints{health="disabled"}`] = 1
		read["switchboard_ops_gauges_refreshed_timestamp_seconds"] = float64(now.Unix())
		assertGauges(t, "after a refresh", gaugeValues(t, g), read)
		for _, finished := range []string{"completed", "cancelled", "discarded"} {
			if _, ok := gaugeValues(t, g)[`switchboard_delivery_queue_depth{state="`+finished+`"}`]; ok {
				t.Errorf("queue depth exports %s jobs: finished jobs are no depth", finished)
			}
		}

		down.Store(true)
		now = now.Add(time.Hour)
		if err := g.Refresh(ctx); err == nil {
			t.Fatal("refresh with the database down: no error")
		}
		before = queries.Load()
		assertGauges(t, "the database down", gaugeValues(t, g), read) // timestamp an hour old
		if n := queries.Load() - before; n != 0 {
			t.Errorf("a scrape ran %d queries, want none", n)
		}
	})
}

// TestOpsGaugesCircuitElapsed: an endpoint counts as circuit_open only
// while its circuit_open_until is ahead. The column stays set after the
// cooldown until a delivery claims the probe (gate), which may be never on
// an endpoint nothing is queued for (each delivery failed at once, say):
// read as open, SwitchboardEndpointCircuitOpen ("their deliveries wait")
// fired for an endpoint that was only failing. Both dialects.
func TestOpsGaugesCircuitElapsed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		g := NewOpsGauges(db.Gorm, nil, func() time.Time { return now })
		for src, until := range map[string]time.Time{"org_circuit_open": now.Add(time.Minute), "org_circuit_elapsed": now.Add(-time.Hour)} {
			_, ep := createTenant(t, db, src, "https://ats.example/"+src, nil)
			if err := db.Gorm.Table("endpoints").Where("id = ?", ep.ID).
				Updates(map[string]any{"consecutive_failures": 5, "failing_since": now.Add(-2 * time.Hour), "circuit_open_until": until}).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := g.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		got := gaugeValues(t, g)
		for health, want := range map[string]float64{"circuit_open": 1, "failing": 1, "healthy": 0} {
			if v := got[`switchboard_endpoints{health="`+health+`"}`]; v != want {
				t.Errorf("switchboard_endpoints{health=%q} = %v, want %v", health, v, want)
			}
		}
	})
}
