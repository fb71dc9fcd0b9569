package tenants

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// UnroutedGroup summarizes the events held for one sourceId (nil: events
// without one) because no tenant owned them when they arrived.
type UnroutedGroup struct {
	SourceID  *string   `json:"source_id"`
	Count     int64     `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// TenantID is the tenant that owns this sourceId now, if one was created
	// since: its held events can be delivered (DeliverHeld).
	TenantID *int64 `json:"tenant_id"`
}

// ScopeEvents keeps the rows of the events table q reads that a caller
// with scope (auth.Scope: nil means every tenant and every unrouted event)
// may see: the events of its tenants, and the unrouted events held for the
// current sourceId of one of its tenants (they are that tenant's once
// delivered). Unrouted events of any other sourceId, or of none, are
// not seen. A tenant keeps no earlier sourceIds: events held for a
// sourceId its tenant has since changed belong to no tenant.
func ScopeEvents(q *gorm.DB, scope []int64) *gorm.DB {
	if scope == nil {
		return q
	}
	ids := append([]int64{0}, scope...)
	return q.Where("(events.tenant_id IN ? OR (events.tenant_id IS NULL AND events.source_id IN (SELECT source_id FROM tenants WHERE id IN ?)))", ids, ids)
}

// EventVisible says whether a caller with scope may see an event of
// tenantID (nil: unrouted) and sourceID (nil: none), by ScopeEvents' rule.
func EventVisible(ctx context.Context, db *gorm.DB, scope []int64, tenantID *int64, sourceID *string) (bool, error) {
	switch {
	case scope == nil:
		return true, nil
	case tenantID != nil:
		return slices.Contains(scope, *tenantID), nil
	case sourceID == nil:
		return false, nil
	}
	var n int64
	if err := db.WithContext(ctx).Table("tenants").Where("source_id = ? AND id IN ?", *sourceID, scope).Count(&n).Error; err != nil {
		return false, fmt.Errorf("owner of sourceId %q: %w", *sourceID, err)
	}
	return n > 0, nil
}

// ListUnrouted groups the unrouted events by sourceId, most recently seen
// first (at most limit groups; 100 when 0). A caller with a scope
// (auth.Scope) gets only the groups of its tenants' sourceIds (ScopeEvents).
func (s *Store) ListUnrouted(ctx context.Context, scope []int64, limit int) ([]UnroutedGroup, error) {
	if limit <= 0 || limit > MaxPageSize {
		limit = 100
	}
	var rows []struct {
		SourceID *string
		Count    int64
		FirstID  int64
		LastID   int64
	}
	// Ids, not timestamps, are aggregated: MIN/MAX of a SQLite DATETIME
	// comes back as text, and ids grow with arrival anyway.
	err := ScopeEvents(s.db.WithContext(ctx).Table("events"), scope).
		Select("source_id, COUNT(*) AS count, MIN(id) AS first_id, MAX(id) AS last_id").
		Where("tenant_id IS NULL").Group("source_id").Order("last_id DESC").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("group unrouted events: %w", err)
	}
	ids, sources := make([]int64, 0, 2*len(rows)), []string{}
	for _, r := range rows {
		ids = append(ids, r.FirstID, r.LastID)
		if r.SourceID != nil {
			sources = append(sources, *r.SourceID)
		}
	}
	seen, owners, err := s.unroutedDetails(ctx, ids, sources)
	if err != nil {
		return nil, err
	}
	out := make([]UnroutedGroup, len(rows))
	for i, r := range rows {
		out[i] = UnroutedGroup{SourceID: r.SourceID, Count: r.Count, FirstSeen: seen[r.FirstID], LastSeen: seen[r.LastID]}
		if r.SourceID != nil {
			if id, ok := owners[*r.SourceID]; ok {
				out[i].TenantID = &id
			}
		}
	}
	return out, nil
}

// unroutedDetails returns the arrival time of each event id and the tenant id owning each sourceId.
func (s *Store) unroutedDetails(ctx context.Context, ids []int64, sources []string) (map[int64]time.Time, map[string]int64, error) {
	seen, owners := map[int64]time.Time{}, map[string]int64{}
	if len(ids) == 0 {
		return seen, owners, nil
	}
	var evs []struct {
		ID         int64
		ReceivedAt time.Time
	}
	if err := s.db.WithContext(ctx).Table("events").Select("id, received_at").Where("id IN ?", ids).Find(&evs).Error; err != nil {
		return nil, nil, fmt.Errorf("unrouted event times: %w", err)
	}
	for _, e := range evs {
		seen[e.ID] = e.ReceivedAt
	}
	if len(sources) > 0 {
		var ts []Tenant
		if err := s.db.WithContext(ctx).Select("id, source_id").Where("source_id IN ?", sources).Find(&ts).Error; err != nil {
			return nil, nil, fmt.Errorf("owners of unrouted sources: %w", err)
		}
		for _, t := range ts {
			owners[t.SourceID] = t.ID
		}
	}
	return seen, owners, nil
}

// HeldCounts are what waits for a tenant: events of its sourceId that
// arrived before it existed (still unrouted), and its deliveries held while
// it is paused.
type HeldCounts struct {
	UnroutedEvents int64
	HeldDeliveries int64
}

// CountHeld reads t's HeldCounts (both queries use an index: the partial
// unrouted-events index and the deliveries' tenant-and-status index).
func (s *Store) CountHeld(ctx context.Context, t *Tenant) (HeldCounts, error) {
	var hc HeldCounts
	db := s.db.WithContext(ctx)
	if err := db.Table("events").Where("tenant_id IS NULL AND source_id = ?", t.SourceID).Count(&hc.UnroutedEvents).Error; err != nil {
		return hc, fmt.Errorf("count unrouted events of %s: %w", t.SourceID, err)
	}
	if err := db.Table("deliveries").Where("tenant_id = ? AND status = ?", t.ID, "held").Count(&hc.HeldDeliveries).Error; err != nil {
		return hc, fmt.Errorf("count held deliveries of tenant %d: %w", t.ID, err)
	}
	return hc, nil
}
