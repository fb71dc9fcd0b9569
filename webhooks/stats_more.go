package webhooks

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-gw/switchboard/tenants"
)

// statsLatency reads the newest delivered deliveries of the window (at
// most latencySample) for the latency percentiles. It scans rows by hand:
// GORM's reflection was most of this query's time.
func (s *Store) statsLatency(ctx context.Context, q StatsQuery, st *Stats) error {
	db := s.db.WithContext(ctx).Table("deliveries").
		Select("events.event_type, deliveries.tenant_id, deliveries.status, deliveries.created_at, deliveries.delivered_at").
		Joins("JOIN events ON events.id = deliveries.event_id").
		Where("deliveries.created_at >= ? AND deliveries.created_at < ?", q.Since.UTC(), q.Until.UTC()).
		Where("deliveries.status = ? AND deliveries.delivered_at IS NOT NULL", DeliveryDelivered)
	rows, err := scoped(db, "deliveries.tenant_id", q.Scope).Order("deliveries.id DESC").Limit(latencySample).Rows()
	if err != nil {
		return fmt.Errorf("stats: latency: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			eventType, status string
			tenantID          int64

			created   time.Time
			delivered sql.NullTime
		)
		if err := rows.Scan(&eventType, &tenantID, &status, &created, &delivered); err != nil {
			return fmt.Errorf("stats: latency row: %w", err)
		}
		if delivered.Valid {
			d := max(delivered.Time.Sub(created), 0)
			st.add(eventType, &tenantID, func(c *Counts) { c.latencies = append(c.latencies, d) })
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("stats: latency rows: %w", err)
	}
	return nil
}

// statsChart counts the window's finished deliveries per chart slot with
// GROUP BY on the slot number, computed in each dialect's date arithmetic.
func (s *Store) statsChart(ctx context.Context, q StatsQuery, st *Stats) error {
	width := q.Until.Sub(q.Since) / time.Duration(q.Buckets)
	st.Buckets = make([]Bucket, q.Buckets)
	for i := range st.Buckets {
		st.Buckets[i].Start = q.Since.Add(time.Duration(i) * width)
	}
	slot := "CAST(((julianday(deliveries.created_at) - 2440587.5) * 86400.0 - ?) / ? AS INTEGER)"
	if s.db.Dialector.Name() == "postgres" {
		slot = "FLOOR((EXTRACT(EPOCH FROM deliveries.created_at) - ?) / ?)"
	}
	var rows []struct {
		Slot   int
		Status DeliveryStatus
		N      int
	}
	db := s.db.WithContext(ctx).Table("deliveries").
		Select(slot+" AS slot, deliveries.status, COUNT(*) AS n", float64(q.Since.Unix()), width.Seconds()).
		Where("deliveries.created_at >= ? AND deliveries.created_at < ?", q.Since.UTC(), q.Until.UTC()).
		Where("deliveries.status IN ?", []DeliveryStatus{DeliveryDelivered, DeliveryFailed})
	if err := scoped(db, "deliveries.tenant_id", q.Scope).Group("slot, deliveries.status").Scan(&rows).Error; err != nil {
		return fmt.Errorf("stats: chart: %w", err)
	}
	for _, r := range rows {
		i := min(max(r.Slot, 0), q.Buckets-1)
		if r.Status == DeliveryFailed {
			st.Buckets[i].Failed += r.N
		} else {
			st.Buckets[i].Delivered += r.N
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

// statsUnrouted counts held events; scoped callers count those held for
// their tenants' sourceIds only (tenants.ScopeEvents).
func (s *Store) statsUnrouted(ctx context.Context, q StatsQuery, st *Stats) error {
	var n int64
	if err := tenants.ScopeEvents(s.db.WithContext(ctx).Table("events"), q.Scope).Where("tenant_id IS NULL").Count(&n).Error; err != nil {
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
