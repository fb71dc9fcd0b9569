package webhooks

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
)

// DeliveryHeld is the state of a delivery to a paused tenant: recorded,
// without a queue job, until the tenant resumes (then pending).
const DeliveryHeld DeliveryStatus = "held"

// heldBatch is how many events or deliveries one transaction moves.
const heldBatch = 500

// confirmHold re-reads a paused tenant's status under a row lock before its
// deliveries are recorded as held: a resume committing meanwhile either
// waits for this transaction (and then releases these rows) or has already
// made the tenant active (and they are scheduled normally), so no delivery
// stays held by a stale cache. Plans that aren't held pass unchanged.
func (s *Service) confirmHold(ctx context.Context, tx *gorm.DB, plan routing.Plan) (routing.Plan, error) {
	if !plan.Held {
		return plan, nil
	}
	var t tenants.Tenant
	q := tx.WithContext(ctx).Select("id", "status").Where("id = ?", *plan.TenantID)
	if tx.Dialector.Name() == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "SHARE"})
	}
	if err := q.First(&t).Error; err != nil {
		return plan, fmt.Errorf("check tenant status: %w", err)
	}
	switch t.Status {
	case tenants.StatusActive:
		plan.Held = false
	case tenants.StatusDisabled:
		plan.Held, plan.Endpoints = false, nil
	}
	return plan, nil
}

// ReleaseHeld turns the tenant's held deliveries into pending ones and
// inserts their jobs, inside tx (the transaction that resumes the tenant).
// Each starts a new round, as a manual retry does: the endpoint's attempt
// limit and max age count from the resume, so the pause is not charged to
// a delivery (one whose max age passed while it was held would otherwise
// fail at its first failed attempt after the resume), and the oldest
// pending delivery's age counts time pending, not time paused. It
// implements tenants.HeldEvents.
func (s *Service) ReleaseHeld(ctx context.Context, tx *gorm.DB, tenantID int64) (int, error) {
	now := s.now().UTC()
	var ids []int64
	if err := tx.WithContext(ctx).Model(&Delivery{}).Where("tenant_id = ? AND status = ?", tenantID, DeliveryHeld).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("find held deliveries: %w", err)
	}
	for start := 0; start < len(ids); start += heldBatch {
		batch := ids[start:min(start+heldBatch, len(ids))]
		if err := tx.Model(&Delivery{}).Where("id IN ?", batch).
			Updates(map[string]any{"status": DeliveryPending, "next_attempt_at": nil,
				"round_start_attempts": gorm.Expr("attempts"), "round_started_at": now, "updated_at": now}).Error; err != nil {
			return 0, fmt.Errorf("release held deliveries: %w", err)
		}
		if err := s.enqueue(ctx, tx, batch); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// DeliverHeld attaches unrouted events to tenantID and schedules their
// deliveries, one transaction per batch of 500 events. sourceID "" selects
// events without a sourceId; a zero since selects all. It implements
// tenants.HeldEvents and returns how many events were attached.
func (s *Service) DeliverHeld(ctx context.Context, tenantID int64, sourceID string, since time.Time) (int, error) {
	total := 0
	for {
		n, err := s.deliverHeldBatch(ctx, tenantID, sourceID, since)
		total += n
		if err != nil || n < heldBatch {
			return total, err
		}
	}
}

func (s *Service) deliverHeldBatch(ctx context.Context, tenantID int64, sourceID string, since time.Time) (int, error) {
	n := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Omit("body").Where("tenant_id IS NULL AND erased_at IS NULL")
		if sourceID == "" {
			q = q.Where("source_id IS NULL")
		} else {
			q = q.Where("source_id = ?", sourceID)
		}
		if !since.IsZero() {
			q = q.Where("received_at >= ?", since.UTC())
		}
		if tx.Dialector.Name() == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var evs []Event
		if err := q.Order("id").Limit(heldBatch).Find(&evs).Error; err != nil {
			return fmt.Errorf("find held events: %w", err)
		}
		ids := make([]int64, len(evs))
		for i, ev := range evs {
			if err := s.attach(ctx, tx, tenantID, ev); err != nil {
				return err
			}
			ids[i] = ev.ID
		}
		// Their first round starts now, as a resumed tenant's held
		// deliveries' does (ReleaseHeld): the endpoint's max age counts from
		// here, not from the event's arrival, so the wait for a tenant is
		// not charged to them. In this transaction: no job runs before.
		if len(ids) > 0 {
			now := s.now().UTC()
			if err := tx.Model(&Delivery{}).Where("event_id IN ? AND tenant_id = ?", ids, tenantID).
				Updates(map[string]any{"round_started_at": now, "updated_at": now}).Error; err != nil {
				return fmt.Errorf("start the round of delivered held events: %w", err)
			}
		}
		n = len(evs)
		return nil
	})
	return n, err
}

// attach gives one unrouted event to tenantID and schedules its deliveries.
func (s *Service) attach(ctx context.Context, tx *gorm.DB, tenantID int64, ev Event) error {
	plan, err := s.planner.PlanTenant(ctx, tx, tenantID, routingEvent(ev.EventType, ev.SourceID))
	if err != nil {
		return err
	}
	if err := tx.Model(&Event{}).Where("id = ?", ev.ID).Update("tenant_id", tenantID).Error; err != nil {
		return fmt.Errorf("attach event %d: %w", ev.ID, err)
	}
	ev.TenantID = &tenantID
	_, err = s.scheduleStored(ctx, tx, []batchEntry{{ev: &ev, status: Accepted, plan: plan}}, s.now().UTC())
	return err
}
