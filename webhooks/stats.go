package webhooks

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/tenants"
)

// Counts are the figures of one dashboard row: events received, their
// deliveries by status, and delivery latency (first received to delivered)
// over the delivered ones.
type Counts struct {
	Received, Delivered, Failed, Pending, Held int
	P50, P95                                   time.Duration
	latencies                                  []time.Duration
}

// SuccessRate is delivered / (delivered + failed); ok is false when nothing finished.
func (c Counts) SuccessRate() (rate float64, ok bool) {
	done := c.Delivered + c.Failed
	if done == 0 {
		return 0, false
	}
	return float64(c.Delivered) / float64(done), true
}

// Bucket is one slot of the volume chart: deliveries created in
// [Start, Start+width) that are delivered or failed now.
type Bucket struct {
	Start             time.Time
	Delivered, Failed int
}

// Trouble is an endpoint with failed deliveries in the window.
type Trouble struct {
	TenantID, EndpointID int64
	EndpointURL          string
	Failures             int
	LastError            string
}

// Stats is the dashboard for one window, limited to the caller's scope.
type Stats struct {
	Totals   Counts
	ByType   map[string]*Counts
	ByTenant map[int64]*Counts
	Buckets  []Bucket
	Trouble  []Trouble
	Unrouted int // held events (all time); for scoped callers those of their tenants' sourceIds
}

// StatsQuery is what Stats reads: deliveries and events created in
// [Since, Until), cut into Buckets chart slots, within Scope (auth.Scope:
// nil means every tenant).
type StatsQuery struct {
	Scope        []int64
	Since, Until time.Time
	Buckets      int
}

// latencySample bounds the rows read for the latency percentiles (the
// newest delivered ones); the counts and the chart are exact (GROUP BY).
const latencySample = 5000

// Stats computes the dashboard figures with a few aggregate queries that
// run unchanged on SQLite and PostgreSQL.
func (s *Store) Stats(ctx context.Context, q StatsQuery) (*Stats, error) {
	if q.Buckets <= 0 {
		q.Buckets = 24
	}
	st := &Stats{ByType: map[string]*Counts{}, ByTenant: map[int64]*Counts{}}
	steps := []func(context.Context, StatsQuery, *Stats) error{s.statsReceived, s.statsStatuses, s.statsChart, s.statsLatency,
		s.statsTrouble, s.statsUnrouted}
	for _, step := range steps {
		if err := step(ctx, q, st); err != nil {
			return nil, err
		}
	}
	for _, c := range st.rows() {
		c.P50, c.P95 = percentile(c.latencies, 50), percentile(c.latencies, 95)
	}
	return st, nil
}

func (st *Stats) rows() []*Counts {
	out := []*Counts{&st.Totals}
	for _, c := range st.ByType {
		out = append(out, c)
	}
	for _, c := range st.ByTenant {
		out = append(out, c)
	}
	return out
}

// add applies fn to the total, the event type's row and the tenant's row.
func (st *Stats) add(eventType string, tenantID *int64, fn func(*Counts)) {
	fn(&st.Totals)
	if st.ByType[eventType] == nil {
		st.ByType[eventType] = &Counts{}
	}
	fn(st.ByType[eventType])
	if tenantID != nil {
		if st.ByTenant[*tenantID] == nil {
			st.ByTenant[*tenantID] = &Counts{}
		}
		fn(st.ByTenant[*tenantID])
	}
}

func scoped(q *gorm.DB, col string, scope []int64) *gorm.DB {
	if scope != nil {
		return q.Where(col+" IN ?", append([]int64{0}, scope...))
	}
	return q
}

func (s *Store) statsReceived(ctx context.Context, q StatsQuery, st *Stats) error {
	var rows []struct {
		EventType string
		TenantID  *int64
		N         int
	}
	db := s.db.WithContext(ctx).Table("events").Select("event_type, tenant_id, COUNT(*) AS n").
		Where("received_at >= ? AND received_at < ?", q.Since.UTC(), q.Until.UTC())
	if err := tenants.ScopeEvents(db, q.Scope).Group("event_type, tenant_id").Scan(&rows).Error; err != nil {
		return fmt.Errorf("stats: received: %w", err)
	}
	for _, r := range rows {
		st.add(r.EventType, r.TenantID, func(c *Counts) { c.Received += r.N })
	}
	return nil
}

func (s *Store) statsStatuses(ctx context.Context, q StatsQuery, st *Stats) error {
	var rows []struct {
		EventType string
		TenantID  int64
		Status    DeliveryStatus
		N         int
	}
	db := s.db.WithContext(ctx).Table("deliveries").
		Select("events.event_type, deliveries.tenant_id, deliveries.status, COUNT(*) AS n").
		Joins("JOIN events ON events.id = deliveries.event_id").
		Where("deliveries.created_at >= ? AND deliveries.created_at < ?", q.Since.UTC(), q.Until.UTC())
	err := scoped(db, "deliveries.tenant_id", q.Scope).Group("events.event_type, deliveries.tenant_id, deliveries.status").Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("stats: statuses: %w", err)
	}
	for _, r := range rows {
		st.add(r.EventType, &r.TenantID, func(c *Counts) {
			switch r.Status {
			case DeliveryDelivered:
				c.Delivered += r.N
			case DeliveryFailed:
				c.Failed += r.N
			case DeliveryHeld:
				c.Held += r.N // its tenant is paused: not waiting for a worker
			default:
				c.Pending += r.N
			}
		})
	}
	return nil
}

// HasLatency reports whether P50 and P95 were measured (some delivery finished).
func (c Counts) HasLatency() bool { return len(c.latencies) > 0 }
