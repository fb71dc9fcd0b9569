package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/tenants"

	"github.com/riverqueue/river"
	"github.com/tidwall/sjson"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
)

// maxBulkRetry bounds one bulk retry; repeat the call for more.
const maxBulkRetry = 10000

func inScope(scope []int64, tenantID int64) bool {
	return scope == nil || slices.Contains(scope, tenantID)
}

// RetryDelivery starts a new round of attempts for a failed delivery: the
// endpoint's attempt limit and max age count afresh, and the body is
// rendered with the endpoint's current mapping. Only failed deliveries are
// retried (problem.Conflict otherwise): a pending one is already on its
// way, and sending a delivered one again is a replay.
func (s *Service) RetryDelivery(ctx context.Context, scope []int64, id int64) error {
	var d Delivery
	err := s.db.WithContext(ctx).Where("id = ?", id).First(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !inScope(scope, d.TenantID)) {
		return problem.NotFound("delivery")
	} else if err != nil {
		return fmt.Errorf("find delivery %d: %w", id, err)
	}
	if d.Status != DeliveryFailed {
		return problem.Conflict(fmt.Sprintf("delivery %d is %s; only failed deliveries are retried (replay sends an event again)", id, d.Status))
	}
	n, err := s.restart(ctx, []int64{id}, DeliveryFailed)
	if err == nil && n == 0 {
		return problem.Conflict(fmt.Sprintf("delivery %d's event was erased; it cannot be retried", id))
	}
	return err
}

// BulkRetry retries the failed deliveries f selects (its Status is
// ignored), at most maxBulkRetry per call, and returns how many. A negative
// TenantID or EndpointID is a problem.Invalid; a tenant or endpoint that
// does not exist, lies outside f.Scope or (an endpoint) belongs to another
// tenant than f.TenantID is a problem.NotFound, so nothing is retried.
func (s *Service) BulkRetry(ctx context.Context, f DeliveryFilter) (int, error) {
	if err := s.checkBulkTarget(ctx, f); err != nil {
		return 0, err
	}
	f.Status, f.After, f.Limit = DeliveryFailed, 0, 0
	var ids []int64
	q := f.apply(s.db.WithContext(ctx).Table("deliveries").Joins("JOIN events ON events.id = deliveries.event_id"))
	if err := q.Order("deliveries.id").Limit(maxBulkRetry).Pluck("deliveries.id", &ids).Error; err != nil {
		return 0, fmt.Errorf("select failed deliveries: %w", err)
	}
	total := 0
	for chunk := range slices.Chunk(ids, 500) {
		n, err := s.restart(ctx, chunk, DeliveryFailed)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// checkBulkTarget checks the tenant and endpoint a bulk retry names (zero:
// not named), the way a single retry checks its delivery.
func (s *Service) checkBulkTarget(ctx context.Context, f DeliveryFilter) error {
	if f.TenantID < 0 {
		return problem.Invalid("tenant_id", "must be a positive tenant id")
	}
	if f.EndpointID < 0 {
		return problem.Invalid("endpoint_id", "must be a positive endpoint id")
	}
	db := s.db.WithContext(ctx)
	if f.TenantID > 0 {
		var ids []int64
		if err := db.Table("tenants").Where("id = ?", f.TenantID).Limit(1).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("find tenant %d: %w", f.TenantID, err)
		}
		if len(ids) == 0 || !inScope(f.Scope, f.TenantID) {
			return problem.NotFound("tenant")
		}
	}
	if f.EndpointID > 0 {
		var owners []int64
		if err := db.Table("endpoints").Where("id = ?", f.EndpointID).Limit(1).Pluck("tenant_id", &owners).Error; err != nil {
			return fmt.Errorf("find endpoint %d: %w", f.EndpointID, err)
		}
		if len(owners) == 0 || !inScope(f.Scope, owners[0]) || (f.TenantID > 0 && owners[0] != f.TenantID) {
			return problem.NotFound("endpoint")
		}
	}
	return nil
}

// restart sets the deliveries that are still in state from, and whose
// event was not erased, back to pending, starting a new round, and enqueues their jobs in the same
// transaction. It returns how many it restarted.
func (s *Service) restart(ctx context.Context, ids []int64, from ...DeliveryStatus) (int, error) {
	now := s.now().UTC()
	var n int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var picked []int64
		// A delivery of an erased event is never sent again (erase.go).
		if err := tx.Model(&Delivery{}).Where("id IN ? AND status IN ?", ids, from).
			Where("NOT EXISTS (SELECT 1 FROM events e WHERE e.id = deliveries.event_id AND e.erased_at IS NOT NULL)").
			Pluck("id", &picked).Error; err != nil {
			return fmt.Errorf("lock deliveries: %w", err)
		}
		if len(picked) == 0 {
			return nil
		}
		err := tx.Model(&Delivery{}).Where("id IN ?", picked).Updates(map[string]any{"status": DeliveryPending, "next_attempt_at": nil,
			"round_start_attempts": gorm.Expr("attempts"), "round_started_at": now, "updated_at": now}).Error
		if err != nil {
			return fmt.Errorf("restart deliveries: %w", err)
		}
		n = len(picked)
		return s.enqueue(ctx, tx, picked)
	})
	return n, err
}

// enqueue inserts one River job per delivery id in tx. InsertManyFastTx
// skips reading the inserted jobs back (nothing here uses them), which was
// a tenth of the ingest path's CPU with River's database/sql driver.
func (s *Service) enqueue(ctx context.Context, tx *gorm.DB, ids []int64) error {
	sqlTx, err := database.SQLTx(tx)
	if err != nil {
		return err
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: DeliverArgs{DeliveryID: id}, InsertOpts: s.policy.insertOpts()}
	}
	if _, err := s.queue.InsertManyFastTx(ctx, sqlTx, params); err != nil {
		return fmt.Errorf("enqueue deliveries: %w", err)
	}
	return nil
}

// Replay sends event eventID to endpoint endpointID again, rendered with
// the endpoint's current mapping, whatever happened before (a pending
// delivery is a problem.Conflict). The endpoint must belong to the event's
// tenant. It returns the delivery's id.
func (s *Service) Replay(ctx context.Context, scope []int64, eventID, endpointID int64) (int64, error) {
	var ev Event
	err := s.db.WithContext(ctx).Omit("body").Where("id = ?", eventID).First(&ev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && (ev.TenantID == nil || !inScope(scope, *ev.TenantID))) {
		return 0, problem.NotFound("event")
	} else if err != nil {
		return 0, fmt.Errorf("find event %d: %w", eventID, err)
	}
	if ev.ErasedAt != nil {
		return 0, problem.Conflict("this event's data was erased; it cannot be replayed")
	}
	ep, err := tenants.NewStore(s.db).FindEndpoint(ctx, *ev.TenantID, endpointID)
	if err != nil {
		return 0, err
	}
	if err := notNamedError(ep, ev.EventType); err != nil {
		return 0, problem.Invalid("endpoint_id", err.Error())
	}
	var d Delivery
	err = s.db.WithContext(ctx).Where("event_id = ? AND endpoint_id = ?", eventID, endpointID).First(&d).Error
	switch {
	case err == nil && d.PayloadPurgedAt != nil:
		return 0, problem.Conflict("this event's payload was purged by retention; it cannot be replayed")
	case err == nil:
		n, err := s.restart(ctx, []int64{d.ID}, DeliveryFailed, DeliveryDelivered)
		if err == nil && n == 0 {
			return 0, problem.Conflict(fmt.Sprintf("delivery %d is already pending", d.ID))
		}
		return d.ID, err
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return 0, fmt.Errorf("find delivery: %w", err)
	}
	return s.createDelivery(ctx, ev.ID, *ev.TenantID, endpointID)
}

func (s *Service) createDelivery(ctx context.Context, eventID, tenantID, endpointID int64) (int64, error) {
	now := s.now().UTC()
	// A replay starts a round (restart does for an existing delivery): the
	// endpoint's max age counts from now, not from the event's arrival.
	d := Delivery{EventID: eventID, TenantID: tenantID, EndpointID: endpointID, Status: DeliveryPending, CreatedAt: now, UpdatedAt: now,
		RoundStartedAt: &now}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&d).Error; err != nil {
			return fmt.Errorf("insert delivery: %w", err)
		}
		return s.enqueue(ctx, tx, []int64{d.ID})
	})
	return d.ID, err
}

// SendTest delivers the embedded sample of eventType to the tenant's
// endpoint as a new event whose meetingCode starts "switchboard-test-",
// and returns the delivery's id.
func (s *Service) SendTest(ctx context.Context, scope []int64, tenantID, endpointID int64, eventType string) (int64, error) {
	if !inScope(scope, tenantID) {
		return 0, problem.NotFound("tenant")
	}
	sample, err := Sample(eventType)
	if err != nil {
		return 0, problem.Invalid("event_type", "has no sample (known: "+strings.Join(SampleTypes(), ", ")+")")
	}
	ep, err := tenants.NewStore(s.db).FindEndpoint(ctx, tenantID, endpointID)
	if err != nil {
		return 0, err
	}
	if err := notNamedError(ep, eventType); err != nil { // the worker would refuse it
		return 0, problem.Invalid("event_type", err.Error())
	}
	now := s.now().UTC()
	code := "switchboard-test-" + strconv.FormatInt(now.UnixNano(), 36)
	body, err := sjson.SetBytes(sample, "data.meetingCode", code)
	if err != nil {
		return 0, fmt.Errorf("prepare test event: %w", err)
	}
	ev := Event{EventType: eventType, MeetingCode: code, TenantID: &tenantID, Revision: 1, Fingerprint: code, Body: body, ReceivedAt: now,
		CandidateName: CandidateName(body)}
	if err := s.db.WithContext(ctx).Create(&ev).Error; err != nil {
		return 0, fmt.Errorf("store test event: %w", err)
	}
	return s.createDelivery(ctx, ev.ID, tenantID, endpointID)
}

// EnableEndpoint switches an endpoint back on and clears its breaker and
// disabled reason. With redeliver it also retries the deliveries that failed
// while it was failing or disabled, and returns how many.
func (s *Service) EnableEndpoint(ctx context.Context, scope []int64, endpointID int64, redeliver bool) (int, error) {
	var h EndpointHealth
	err := s.db.WithContext(ctx).Where("id = ?", endpointID).First(&h).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !inScope(scope, h.TenantID)) {
		return 0, problem.NotFound("endpoint")
	} else if err != nil {
		return 0, fmt.Errorf("find endpoint %d: %w", endpointID, err)
	}
	now := s.now().UTC()
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Model(&EndpointHealth{}).Where("id = ?", endpointID).Updates(map[string]any{"enabled": true,
			"disabled_reason": "", "disabled_at": nil, "consecutive_failures": 0, "failing_since": nil, "circuit_open_until": nil, "updated_at": now}).Error
		if err != nil {
			return err
		}
		return tenants.BumpVersion(tx) // every replica's routing cache sees the endpoint back
	})
	if err != nil || !redeliver {
		return 0, err
	}
	since := now
	for _, t := range []*time.Time{h.FailingSince, h.DisabledAt} {
		if t != nil && t.Before(since) {
			since = *t
		}
	}
	return s.BulkRetry(ctx, DeliveryFilter{Scope: scope, EndpointID: endpointID, ChangedSince: since})
}
