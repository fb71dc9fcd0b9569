package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
)

// DeliverArgs is the River job of one delivery; the row holds the state.
type DeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "deliver" }

// DefaultDeliveryTimeout bounds one HTTP attempt (connect to last byte).
const DefaultDeliveryTimeout = 15 * time.Second

// maxResponseBody caps how much of an endpoint's answer is read and kept.
const maxResponseBody = 64 << 10

// Worker sends deliveries and records every attempt.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	db        *gorm.DB
	mapper    *routing.Mapper
	client    *http.Client
	timeout   time.Duration
	userAgent string
	log       *slog.Logger
	now       func() time.Time
}

// NewWorker returns the delivery worker. mapper shapes each payload; client
// should be the SSRF-guarded client (egress.Guard.Client); timeout bounds
// each attempt.
func NewWorker(db *gorm.DB, mapper *routing.Mapper, client *http.Client, timeout time.Duration, userAgent string, log *slog.Logger) *Worker {
	if timeout <= 0 {
		timeout = DefaultDeliveryTimeout
	}
	return &Worker{db: db, mapper: mapper, client: client, timeout: timeout, userAgent: userAgent, log: log, now: time.Now}
}

// Timeout gives River's job a margin over the HTTP timeout for recording.
func (w *Worker) Timeout(*river.Job[DeliverArgs]) time.Duration { return w.timeout + 15*time.Second }

// Work attempts the delivery once and maps the outcome to River's vocabulary.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	out := w.attempt(ctx, job.Args.DeliveryID, job.Attempt >= job.MaxAttempts)
	switch out.Kind {
	case Delivered:
		return nil
	case Permanent:
		return river.JobCancel(out.Err)
	}
	return out.Err
}

// target is what one attempt needs, loaded in one place.
type target struct {
	delivery Delivery
	event    Event
	endpoint tenants.Endpoint
}

func (w *Worker) load(ctx context.Context, id int64) (*target, error) {
	var t target
	db := w.db.WithContext(ctx)
	if err := db.Where("id = ?", id).First(&t.delivery).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, problem.NotFound("delivery")
		}
		return nil, fmt.Errorf("load delivery %d: %w", id, err)
	}
	if err := db.Where("id = ?", t.delivery.EventID).First(&t.event).Error; err != nil {
		return nil, fmt.Errorf("load event %d: %w", t.delivery.EventID, err)
	}
	if err := db.Where("id = ?", t.delivery.EndpointID).First(&t.endpoint).Error; err != nil {
		return nil, fmt.Errorf("load endpoint %d: %w", t.delivery.EndpointID, err)
	}
	return &t, nil
}

func (w *Worker) attempt(ctx context.Context, deliveryID int64, last bool) Outcome {
	t, err := w.load(ctx, deliveryID)
	if err != nil {
		if _, ok := problem.As(err); ok {
			return Outcome{Kind: Permanent, Err: err}
		}
		return Outcome{Kind: Retry, Err: err}
	}
	if t.delivery.Status != DeliveryPending {
		return Outcome{Kind: Delivered} // already settled: a re-run after a crash must not send again
	}
	log := w.log.With("delivery_id", t.delivery.ID, "tenant_id", t.delivery.TenantID, "endpoint_id", t.endpoint.ID, "event_id", t.event.ID)
	if !t.endpoint.Enabled {
		res := sendResult{class: "endpoint-disabled", err: errors.New("endpoint is disabled")}
		return w.finish(ctx, log, t, res, Outcome{Kind: Permanent, Err: res.err}, last)
	}
	payload, err := w.mapper.Render(ctx, t.endpoint, routing.RenderInput{TenantID: t.delivery.TenantID, EndpointID: t.endpoint.ID,
		EventType: t.event.EventType, MeetingCode: t.event.MeetingCode, Revision: t.event.Revision, Body: t.event.Body})
	if err != nil {
		res := sendResult{started: w.now().UTC(), class: "mapping", err: fmt.Errorf("mapping: %w", err)}
		return w.finish(ctx, log, t, res, Outcome{Kind: Permanent, Err: res.err}, last)
	}
	res := w.send(ctx, t, payload)
	out := Classify(res.status, res.err)
	return w.finish(ctx, log, t, res, out, last)
}

// sendResult is what came back from one HTTP try.
type sendResult struct {
	started  time.Time
	duration time.Duration
	status   int
	body     string
	class    string
	err      error
}

func (w *Worker) send(ctx context.Context, t *target, payload routing.Rendered) sendResult {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	res := sendResult{started: w.now().UTC()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, payload.URL, bytes.NewReader(payload.Body))
	if err != nil {
		res.class, res.err = "invalid-request", err
		return res
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", w.userAgent)
	h.Set("X-Switchboard-Event", t.event.EventType)
	h.Set("X-Switchboard-Tenant", strconv.FormatInt(t.delivery.TenantID, 10))
	h.Set("X-Switchboard-Revision", strconv.Itoa(t.event.Revision))
	h.Set("X-Boooply-Meeting-Id", t.event.MeetingCode)
	// Standard Webhooks ids: stable across retries of one delivery.
	h.Set("webhook-id", "dlv_"+strconv.FormatInt(t.delivery.ID, 10))
	h.Set("webhook-timestamp", strconv.FormatInt(res.started.Unix(), 10))
	resp, err := w.client.Do(req)
	if err != nil {
		res.duration = time.Since(res.started)
		res.class, res.err = errorClass(err), err
		return res
	}
	defer resp.Body.Close()
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	res.duration = time.Since(res.started)
	res.status, res.body = resp.StatusCode, string(b)
	if rerr != nil && resp.StatusCode/100 != 2 {
		res.class, res.err = errorClass(rerr), rerr
	} else if resp.StatusCode/100 != 2 {
		res.class, res.err = "http-status", fmt.Errorf("endpoint answered %d", resp.StatusCode)
	}
	return res
}

// finish records the attempt and settles the delivery in one transaction.
func (w *Worker) finish(ctx context.Context, log *slog.Logger, t *target, res sendResult, out Outcome, last bool) Outcome {
	d := t.delivery
	a := Attempt{DeliveryID: d.ID, TenantID: d.TenantID, Number: d.Attempts + 1, StartedAt: res.started,
		DurationMS: int(res.duration.Milliseconds()), ErrorClass: res.class, ResponseBody: res.body}
	if res.status != 0 {
		a.StatusCode = &res.status
	}
	if res.err != nil {
		a.Error = res.err.Error()
	}
	status := DeliveryPending
	switch {
	case out.Kind == Delivered:
		status = DeliveryDelivered
	case out.Kind == Permanent || last:
		status = DeliveryFailed
	}
	now := w.now().UTC()
	updates := map[string]any{"status": status, "attempts": a.Number, "last_status_code": a.StatusCode, "last_error": a.Error, "updated_at": now}
	if status == DeliveryDelivered {
		updates["delivered_at"] = now
	}
	err := w.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&a).Error; err != nil {
			return fmt.Errorf("insert attempt: %w", err)
		}
		return tx.Model(&Delivery{}).Where("id = ?", d.ID).Updates(updates).Error
	})
	log = log.With("attempt", a.Number, "status", res.status, "duration_ms", a.DurationMS)
	if err != nil {
		// The send happened but its record did not: River retries the job, so the
		// endpoint may see this delivery again (at least once, never lost).
		log.Error("Could not record delivery attempt.", "error", err)
		return Outcome{Kind: Retry, Err: fmt.Errorf("record attempt: %w", err)}
	}
	switch status {
	case DeliveryDelivered:
		log.Info("Delivered.")
	case DeliveryFailed:
		log.Warn("Delivery failed for good.", "error", a.Error)
	default:
		log.Info("Delivery attempt failed; will retry.", "error", a.Error)
	}
	return out
}
