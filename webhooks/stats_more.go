package webhooks

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// statsLatency reads the newest finished deliveries of the window (at most
// latencySample) for the latency percentiles and the chart's buckets.
func (s *Store) statsLatency(ctx context.Context, q StatsQuery, st *Stats) error {
	var rows []struct {
		EventType   string
		TenantID    int64
		Status      DeliveryStatus
		CreatedAt   time.Time
		DeliveredAt *time.Time
	}
	db := s.db.WithContext(ctx).Table("deliveries").
		Select("events.event_type, deliveries.tenant_id, deliveries.status, deliveries.created_at, deliveries.delivered_at").
		Joins("JOIN events ON events.id = deliveries.event_id").
		Where("deliveries.created_at >= ? AND deliveries.created_at < ?", q.Since.UTC(), q.Until.UTC()).
		Where("deliveries.status IN ?", []DeliveryStatus{DeliveryDelivered, DeliveryFailed})
	err := scoped(db, "deliveries.tenant_id", q.Scope).Order("deliveries.id DESC").Limit(latencySample).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("stats: latency: %w", err)
	}
	width := q.Until.Sub(q.Since) / time.Duration(q.Buckets)
	st.Buckets = make([]Bucket, q.Buckets)
	for i := range st.Buckets {
		st.Buckets[i].Start = q.Since.Add(time.Duration(i) * width)
	}
	for _, r := range rows {
		i := min(max(int(r.CreatedAt.Sub(q.Since)/width), 0), q.Buckets-1)
		if r.Status == DeliveryFailed {
			st.Buckets[i].Failed++
			continue
		}
		st.Buckets[i].Delivered++
		if r.DeliveredAt != nil {
			d := max(r.DeliveredAt.Sub(r.CreatedAt), 0)
			st.add(r.EventType, &r.TenantID, func(c *Counts) { c.latencies = append(c.latencies, d) })
		}
	}
	return nil
}

// statsTrouble lists the endpoints with the most failed deliveries last
// updated in the window, with the newest failure's error.
func (s *Store) statsTrouble(ctx context.Context, q StatsQuery, st *Stats) error {
	var rows []struct {
		EndpointID, TenantID int64
		Failures             int
		LastID               int64
	}
	db := s.db.WithContext(ctx).Table("deliveries").
		Select("endpoint_id, tenant_id, COUNT(*) AS failures, MAX(id) AS last_id").
		Where("status = ? AND updated_at >= ? AND updated_at < ?", DeliveryFailed, q.Since.UTC(), q.Until.UTC())
	err := scoped(db, "tenant_id", q.Scope).Group("endpoint_id, tenant_id").Order("failures DESC, endpoint_id").Limit(10).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("stats: trouble: %w", err)
	}
	for _, r := range rows {
		var last struct {
			LastError string
			URL       string
		}
		err := s.db.WithContext(ctx).Table("deliveries").Select("deliveries.last_error, endpoints.url").
			Joins("JOIN endpoints ON endpoints.id = deliveries.endpoint_id").Where("deliveries.id = ?", r.LastID).Scan(&last).Error
		if err != nil {
			return fmt.Errorf("stats: trouble detail: %w", err)
		}
		st.Trouble = append(st.Trouble, Trouble{TenantID: r.TenantID, EndpointID: r.EndpointID, EndpointURL: last.URL,
			Failures: r.Failures, LastError: last.LastError})
	}
	return nil
}

// statsUnrouted counts held events; scoped callers see none (they have no tenant).
func (s *Store) statsUnrouted(ctx context.Context, q StatsQuery, st *Stats) error {
	if q.Scope != nil {
		return nil
	}
	var n int64
	if err := s.db.WithContext(ctx).Table("events").Where("tenant_id IS NULL").Count(&n).Error; err != nil {
		return fmt.Errorf("stats: unrouted: %w", err)
	}
	st.Unrouted = int(n)
	return nil
}

// percentile is the nearest-rank p-th percentile of ds (0 when empty).
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}
