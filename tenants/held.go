package tenants

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// HeldEvents moves events that are waiting into the delivery queue.
// *webhooks.Service implements it; main wires it.
type HeldEvents interface {
	// DeliverHeld attaches the unrouted events carrying sourceID ("" = the
	// events without a sourceId) received at or after since (zero = all) to
	// tenantID and schedules their deliveries, in one transaction per batch.
	// It returns how many events it attached.
	DeliverHeld(ctx context.Context, tenantID int64, sourceID string, since time.Time) (int, error)
	// ReleaseHeld turns the tenant's held deliveries (kept while it was
	// paused) into pending ones with their queue jobs, inside tx.
	ReleaseHeld(ctx context.Context, tx *gorm.DB, tenantID int64) (int, error)
}

// HeldLog is one recorded "deliver held events" decision.
type HeldLog struct {
	ID        int64      `json:"id"`
	TenantID  int64      `json:"tenant_id"`
	SourceID  *string    `json:"source_id"`
	Since     *time.Time `json:"since"`
	Events    int        `json:"events"`
	Actor     string     `json:"actor"`
	CreatedAt time.Time  `json:"created_at"`
}

// TableName is the table of HeldLog rows.
func (HeldLog) TableName() string { return "held_deliveries_log" }

// DeliverHeld delivers the unrouted events of the tenant's sourceId (or, with
// nullSource, those without a sourceId) received since (zero = all) through
// held, and records who decided it. It returns how many events were attached.
func (s *Store) DeliverHeld(ctx context.Context, held HeldEvents, tenantID int64, nullSource bool, since time.Time, actor string) (int, error) {
	t, err := s.FindTenant(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	src := &t.SourceID
	if nullSource {
		src = nil
	}
	n, err := held.DeliverHeld(ctx, tenantID, deref(src), since)
	entry := HeldLog{TenantID: tenantID, SourceID: src, Events: n, Actor: actor, CreatedAt: s.now().UTC()}
	if !since.IsZero() {
		sinceUTC := since.UTC()
		entry.Since = &sinceUTC
	}
	// Record what was done even when a later batch failed.
	if n > 0 || err == nil {
		if lerr := s.db.WithContext(ctx).Create(&entry).Error; lerr != nil && err == nil {
			err = fmt.Errorf("record deliver-held: %w", lerr)
		}
	}
	return n, err
}

// ListHeldLog returns the tenant's deliver-held decisions, newest first.
func (s *Store) ListHeldLog(ctx context.Context, tenantID int64) ([]HeldLog, error) {
	var out []HeldLog
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("id DESC").Limit(100).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list held log: %w", err)
	}
	return out, nil
}

// Resume makes a paused (or disabled) tenant active and, in the same
// transaction, releases the deliveries held while it was paused. It returns
// the tenant and how many deliveries were released.
func (s *Store) Resume(ctx context.Context, id int64, held HeldEvents) (*Tenant, int, error) {
	var t *Tenant
	var n int
	err := s.write(ctx, func(tx *gorm.DB) error {
		var err error
		if t, err = findTenant(ctx, tx, id); err != nil {
			return err
		}
		t.Status, t.UpdatedAt = StatusActive, s.now().UTC()
		if err := tx.Model(&Tenant{}).Where("id = ?", id).
			Updates(map[string]any{"status": t.Status, "updated_at": t.UpdatedAt}).Error; err != nil {
			return fmt.Errorf("resume tenant %d: %w", id, err)
		}
		n, err = held.ReleaseHeld(ctx, tx, id)
		return err
	})
	return t, n, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
