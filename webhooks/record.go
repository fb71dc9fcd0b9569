package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// settle records the attempt, updates the endpoint's health and decides
// what happens next, in one transaction.
func (w *Worker) settle(ctx context.Context, log *slog.Logger, t *target, res sendResult, out Outcome) step {
	d := t.delivery
	now := w.now().UTC()
	a := Attempt{DeliveryID: d.ID, TenantID: d.TenantID, Number: d.Attempts + 1, StartedAt: res.started,
		DurationMS: int(res.duration.Milliseconds()), ErrorClass: res.class, ResponseBody: res.body,
		RequestHeaders: res.reqHeaders, ResponseHeaders: keptHeaders(res.respHeader)}
	if a.RequestHeaders == nil {
		a.RequestHeaders = map[string]string{}
	}
	if res.status != 0 {
		a.StatusCode = &res.status
	}
	if res.err != nil {
		a.Error = recordableText(res.err.Error())
	}
	status, wait := w.decide(t, a.Number, out, now)
	updates := map[string]any{"status": status, "attempts": a.Number, "last_status_code": a.StatusCode, "last_error": a.Error,
		"updated_at": now, "next_attempt_at": nil}
	if status == DeliveryPending {
		updates["next_attempt_at"] = now.Add(wait)
	}
	if status == DeliveryDelivered {
		updates["delivered_at"], updates["last_error"] = now, "" // a cut-off answer's note stays on the attempt
	}
	if res.msg.id != "" {
		// Sent, so maybe accepted even if it failed (a timeout, a 5xx after
		// the receiver committed): the next body that differs gets a new webhook-id.
		updates["webhook_seq"], updates["delivered_body_sha256"] = res.msg.seq, res.msg.sum
	}
	if t.payload.Body != nil {
		updates["mapping_version_id"] = t.payload.MappingVersionID
		if !bytes.Equal(t.payload.Body, t.event.Body) {
			updates["mapped_body"] = t.payload.Body
		}
	}
	var disable string
	var err error
	if w.db.Dialector.Name() == "postgres" && healthUnchanged(&t.health, res, out.Kind) {
		err = w.records.record(ctx, &a, updates) // the common case: one statement, shared with other workers
	} else {
		err = w.record(ctx, t, &a, res, out, updates, now, &disable)
	}
	log = log.With("attempt", a.Number, "status", res.status, "duration_ms", a.DurationMS)
	if err != nil {
		// The send happened but its record did not: River retries the job, so the
		// endpoint may see this delivery again (at least once, never lost).
		log.Error("Could not record delivery attempt.", "error", err)
		return step{err: fmt.Errorf("record attempt: %w", err)}
	}
	w.metrics.observeAttempt(out.Kind, res, status, t.event.ReceivedAt, now)
	if disable != "" {
		w.announceDisabled(log, &t.health, disable, now)
	}
	return w.report(log, status, a, out, wait)
}

// record stores the attempt, the delivery's new state and the endpoint's
// health in one transaction; disable is set when the endpoint must now be
// switched off (done in the same transaction).
func (w *Worker) record(ctx context.Context, t *target, a *Attempt, res sendResult, out Outcome, updates map[string]any, now time.Time, disable *string) error {
	return w.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(a).Error; err != nil {
			return fmt.Errorf("insert attempt: %w", err)
		}
		if err := tx.Model(&Delivery{}).Where("id = ?", t.delivery.ID).Updates(updates).Error; err != nil {
			return fmt.Errorf("update delivery: %w", err)
		}
		if ourSide(res) {
			return nil // our side's problem, not the endpoint's health
		}
		var err error
		if *disable, err = w.recordHealth(tx, &t.health, out.Kind, now); err != nil || *disable == "" {
			return err
		}
		return disableEndpoint(tx, t.endpoint.ID, *disable, now)
	})
}

// decide turns an outcome into the delivery's next state and, for a retry,
// the wait: the endpoint's Retry-After or the schedule, within its attempt
// limit and max age (both counted from the start of the current round).
func (w *Worker) decide(t *target, number int, out Outcome, now time.Time) (DeliveryStatus, time.Duration) {
	switch out.Kind {
	case Delivered:
		return DeliveryDelivered, 0
	case Permanent, Gone:
		return DeliveryFailed, 0
	}
	var deadline time.Time
	if age := t.endpoint.MaxAgeSeconds; age > 0 {
		from := t.event.ReceivedAt
		if t.delivery.RoundStartedAt != nil {
			from = *t.delivery.RoundStartedAt
		}
		deadline = from.Add(time.Duration(age) * time.Second)
	}
	wait, ok := w.policy.Next(number-t.delivery.RoundStartAttempts, t.endpoint.MaxAttempts, out.Wait, now, deadline)
	if !ok {
		return DeliveryFailed, 0
	}
	return DeliveryPending, wait
}

func (w *Worker) report(log *slog.Logger, status DeliveryStatus, a Attempt, out Outcome, wait time.Duration) step {
	switch status {
	case DeliveryDelivered:
		log.Info("Delivered.")
		return step{}
	case DeliveryFailed:
		log.Warn("Delivery failed for good.", "error", a.Error)
		err := out.Err
		if err == nil {
			err = fmt.Errorf("delivery failed")
		}
		return step{cancel: err}
	}
	log.Info("Delivery attempt failed; will retry.", "error", a.Error, "retry_in_ms", wait.Milliseconds())
	return step{wait: wait, again: true}
}
