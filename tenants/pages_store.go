package tenants

import (
	"context"
	"fmt"
	"time"
)

// Activity is what the tenant list shows about a tenant's endpoints.
type Activity struct {
	Endpoints    int
	Failing      int        // endpoints with failures in a row or an open circuit
	Disabled     int        // endpoints the engine or an admin disabled
	LastDelivery *time.Time // from LastDeliveries; nil for never
}

// LastDeliveries returns the time of each tenant's latest delivery. main
// wires it to the deliveries table (tenants does not import webhooks).
type LastDeliveries func(ctx context.Context, tenantIDs []int64) (map[int64]time.Time, error)

// Activity counts the endpoints of each tenant in ids and how many are in
// trouble, from the delivery engine's health columns.
func (s *Store) Activity(ctx context.Context, ids []int64) (map[int64]*Activity, error) {
	out := make(map[int64]*Activity, len(ids))
	for _, id := range ids {
		out[id] = &Activity{}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		TenantID            int64
		Enabled             bool
		ConsecutiveFailures int
		CircuitOpenUntil    *time.Time
	}
	err := s.db.WithContext(ctx).Table("endpoints").
		Select("tenant_id, enabled, consecutive_failures, circuit_open_until").
		Where("tenant_id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("endpoint activity: %w", err)
	}
	for _, r := range rows {
		a := out[r.TenantID]
		a.Endpoints++
		switch {
		case !r.Enabled:
			a.Disabled++
		case r.ConsecutiveFailures > 0 || r.CircuitOpenUntil != nil:
			a.Failing++
		}
	}
	return out, nil
}

// Health is the badge word for a tenant's activity.
func (a *Activity) Health() string {
	switch {
	case a.Endpoints == 0:
		return "no endpoints"
	case a.Failing+a.Disabled >= a.Endpoints:
		return "failing"
	case a.Failing+a.Disabled > 0:
		return "degraded"
	case a.LastDelivery == nil:
		return "no traffic"
	}
	return "healthy"
}

// EndpointHealth returns the badge word of each endpoint of a tenant from
// the delivery engine's health columns.
func (s *Store) EndpointHealth(ctx context.Context, tenantID int64) (map[int64]string, error) {
	var rows []struct {
		ID                  int64
		Enabled             bool
		ConsecutiveFailures int
		CircuitOpenUntil    *time.Time
	}
	err := s.db.WithContext(ctx).Table("endpoints").
		Select("id, enabled, consecutive_failures, circuit_open_until").
		Where("tenant_id = ?", tenantID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("endpoint health: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		switch {
		case !r.Enabled:
			out[r.ID] = "disabled"
		case r.CircuitOpenUntil != nil:
			out[r.ID] = "failing"
		case r.ConsecutiveFailures > 0:
			out[r.ID] = "degraded"
		default:
			out[r.ID] = "healthy"
		}
	}
	return out, nil
}
