package webhooks

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// seedDelivery stores an event of type et for tenant (nil: unrouted) and,
// when status is set, its delivery to endpoint created at `at` and, when
// delivered, finished after latency.
func seedDelivery(t *testing.T, db *database.DB, n int, et string, tenant, endpoint *int64, status DeliveryStatus, at time.Time, latency time.Duration) {
	t.Helper()
	code := "stats-" + et + "-" + time.Duration(n).String()
	ev := Event{EventType: et, MeetingCode: code, TenantID: tenant, Revision: 1, Fingerprint: code,
		Body: []byte(`{"data":{"candidateName":"Jane"}}`), ReceivedAt: at, CandidateName: "Jane"}
	if err := db.Gorm.Create(&ev).Error; err != nil {
		t.Fatal(err)
	}
	if status == "" {
		return
	}
	d := Delivery{EventID: ev.ID, TenantID: *tenant, EndpointID: *endpoint, Status: status, CreatedAt: at, UpdatedAt: at.Add(latency)}
	if status == DeliveryDelivered {
		done := at.Add(latency)
		d.DeliveredAt = &done
	}
	if status == DeliveryFailed {
		d.LastError = "HTTP 500"
	}
	if err := db.Gorm.Create(&d).Error; err != nil {
		t.Fatal(err)
	}
}

// TestStats: counts per type and tenant, success rate, percentiles, chart
// buckets, endpoints in trouble, unrouted count and scope, on both dialects.
func TestStats(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ta, epA := createTenant(t, db, "org_stats_a", "http://127.0.0.1:1/a", nil)
		tb, epB := createTenant(t, db, "org_stats_b", "http://127.0.0.1:1/b", nil)
		now := time.Now().UTC().Truncate(time.Second)
		since := now.Add(-24 * time.Hour)
		a, b, ea, eb := &ta.ID, &tb.ID, &epA.ID, &epB.ID
		for i := range 10 { // tenant A: 10 delivered evaluations, 100..1000 ms
			seedDelivery(t, db, i, "interview.evaluation", a, ea, DeliveryDelivered, now.Add(-time.Hour), time.Duration(i+1)*100*time.Millisecond)
		}
		seedDelivery(t, db, 20, "interview.transcript", b, eb, DeliveryFailed, now.Add(-2*time.Hour), 0)
		seedDelivery(t, db, 21, "interview.transcript", b, eb, DeliveryFailed, now.Add(-3*time.Hour), 0)
		seedDelivery(t, db, 22, "interview.transcript", b, eb, DeliveryPending, now.Add(-time.Minute), 0)
		seedDelivery(t, db, 25, "interview.transcript", b, eb, DeliveryHeld, now.Add(-time.Minute), 0)           // tenant paused
		seedDelivery(t, db, 23, "interview.scores", nil, nil, "", now.Add(-time.Minute), 0)                      // unrouted
		seedDelivery(t, db, 24, "interview.scores", a, ea, DeliveryDelivered, now.Add(-48*time.Hour), time.Hour) // outside the window

		st, err := NewStore(db.Gorm).Stats(context.Background(), StatsQuery{Since: since, Until: now.Add(time.Second), Buckets: 24})
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Totals; got.Received != 15 || got.Delivered != 10 || got.Failed != 2 || got.Pending != 1 || got.Held != 1 {
			t.Errorf("totals %+v, want received 15, delivered 10, failed 2, pending 1, held 1", got)
		}
		if rate, ok := st.Totals.SuccessRate(); !ok || rate < 0.83 || rate > 0.84 {
			t.Errorf("success rate %v %v, want 10/12", rate, ok)
		}
		if c := st.ByTenant[ta.ID]; c == nil || c.P50 != 500*time.Millisecond || c.P95 != time.Second {
			t.Errorf("tenant A latency %+v, want p50 500ms p95 1s", c)
		}
		if c := st.ByType["interview.transcript"]; c == nil || c.Failed != 2 || c.Pending != 1 || c.Held != 1 || c.Received != 4 {
			t.Errorf("transcript row %+v", c)
		}
		if c := st.ByType["interview.scores"]; c == nil || c.Received != 1 {
			t.Errorf("unrouted scores event not counted as received: %+v", c)
		}
		ok, bad := 0, 0
		for _, bk := range st.Buckets {
			ok, bad = ok+bk.Delivered, bad+bk.Failed
		}
		if len(st.Buckets) != 24 || ok != 10 || bad != 2 || st.Buckets[21].Failed != 1 || st.Buckets[22].Delivered != 10 {
			t.Errorf("buckets %+v: want 24 slots with 10 delivered, 2 failed (one 2 h ago)", st.Buckets)
		}
		if len(st.Trouble) != 1 || st.Trouble[0].EndpointID != epB.ID || st.Trouble[0].Failures != 2 || st.Trouble[0].LastError != "HTTP 500" {
			t.Errorf("trouble %+v", st.Trouble)
		}
		if st.Unrouted != 1 {
			t.Errorf("unrouted %d, want 1", st.Unrouted)
		}

		scopedSt, err := NewStore(db.Gorm).Stats(context.Background(), StatsQuery{Scope: []int64{tb.ID}, Since: since, Until: now.Add(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if scopedSt.Totals.Received != 4 || scopedSt.ByTenant[ta.ID] != nil || scopedSt.Unrouted != 0 || len(scopedSt.Trouble) != 1 {
			t.Errorf("scoped to B: %+v", scopedSt)
		}
	})
}

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		in   []time.Duration
		p    int
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 95, 7 * time.Millisecond},
		{ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{ms(4, 1, 3, 2), 95, 4 * time.Millisecond},
	}
	for _, tc := range cases {
		if got := percentile(tc.in, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %d) = %v, want %v", tc.in, tc.p, got, tc.want)
		}
	}
}
