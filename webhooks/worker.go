package webhooks

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/secrets"
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

// maxEndpointTimeout caps an endpoint's own timeout_ms.
const maxEndpointTimeout = 60 * time.Second

// maxResponseBody caps how much of an endpoint's answer is read and kept.
const maxResponseBody = 64 << 10

// DefaultBusyWait is how long a job waits when its endpoint is at its
// concurrency cap or an earlier event of the same meeting is still pending.
const DefaultBusyWait = time.Second

// maxWaitSnooze caps a wait that is not a retry (the rate limiter, an open
// breaker, a busy endpoint) before jitter: the job asks again after it, which
// costs one load, while a larger wait risks overflowing time.Duration. The
// slowest allowed rate limit (tenants.MinRatePerSecond, one per hour) never
// needs longer.
const maxWaitSnooze = time.Hour

// WorkerConfig is what the delivery worker needs. DB, Mapper, Guard and
// Keyring are required; zero values elsewhere mean the defaults.
type WorkerConfig struct {
	DB        *gorm.DB
	Mapper    *routing.Mapper
	Guard     *egress.Guard
	Keyring   *secrets.Keyring
	Policy    RetryPolicy
	Timeout   time.Duration
	UserAgent string
	Log       *slog.Logger
	Metrics   *Metrics
	Breaker   BreakerConfig
	// MaxConcurrency is the per-endpoint cap for endpoints without their own.
	MaxConcurrency int
	// BusyWait is the snooze when an endpoint is busy (DefaultBusyWait).
	BusyWait time.Duration
	// RootCAs, when set, replaces the system's trusted roots for endpoints
	// (a private CA; tests).
	RootCAs *x509.CertPool
	// Links, when set, gives recording events their stable link
	// (meta.recording_link in mappings).
	Links *RecordingLinks
}

// Worker sends deliveries and records every attempt.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	db        *gorm.DB
	mapper    *routing.Mapper
	keyring   *secrets.Keyring
	clients   *clients
	tokens    *tokens
	bullhorn  *bullhornSessions
	policy    RetryPolicy
	timeout   time.Duration
	userAgent string
	log       *slog.Logger
	metrics   *Metrics
	breaker   BreakerConfig
	limiter   *Limiter
	busyWait  time.Duration
	links     *RecordingLinks
	now       func() time.Time
	loads     *loadBatcher
	records   *recordBatcher // PostgreSQL
}

// NewWorker returns the delivery worker.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultDeliveryTimeout
	}
	if cfg.BusyWait <= 0 {
		cfg.BusyWait = DefaultBusyWait
	}
	if len(cfg.Policy.Schedule) == 0 {
		cfg.Policy = NewRetryPolicy(nil, 0.2)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	return &Worker{db: cfg.DB, mapper: cfg.Mapper, keyring: cfg.Keyring, clients: newClients(cfg.Guard, cfg.Keyring, cfg.RootCAs), tokens: newTokens(tokenStoreFor(cfg.DB, cfg.Keyring)), bullhorn: newBullhornSessions(bullhornStoreFor(cfg.DB, cfg.Keyring)),
		loads: newLoadBatcher(cfg.DB, &targetQuery{}), records: newRecordBatcher(cfg.DB, &attemptRecord{}),
		policy: cfg.Policy, timeout: cfg.Timeout, userAgent: cfg.UserAgent, log: cfg.Log, metrics: cfg.Metrics,
		breaker: cfg.Breaker.withDefaults(), limiter: NewLimiter(cfg.MaxConcurrency, cfg.BusyWait), busyWait: cfg.BusyWait, links: cfg.Links, now: time.Now}
}

// Timeout gives River's job a margin over the longest HTTP timeout for recording.
func (w *Worker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return max(w.timeout, maxEndpointTimeout) + 15*time.Second
}

// Work attempts the delivery once and maps the outcome to River's
// vocabulary. Retries are snoozes the worker schedules itself (so River
// counts only failures to record); a settled delivery ends the job.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	st := w.attempt(ctx, job.Args.DeliveryID)
	switch {
	case st.err != nil:
		return riverText(st.err)
	case st.wait < 0:
		// No path should produce one, but ending the job here would leave
		// its delivery pending with no job to deliver it: ask again soon.
		w.log.Error("Negative wait; snoozing instead.", "delivery_id", job.Args.DeliveryID, "wait_ms", st.wait.Milliseconds())
		return river.JobSnooze(w.busyWait)
	case st.wait > 0 || st.again:
		return river.JobSnooze(st.wait)
	case st.cancel != nil:
		return river.JobCancel(riverText(st.cancel))
	}
	return nil // the delivery is settled (or held): nothing left to do
}

// riverText is err as River can store it: River keeps a job's errors as
// JSON (jsonb on PostgreSQL, which refuses \u0000), and an error may carry
// event or endpoint text (a jq error(…) of the payload). Were the job's
// finalization refused, it would stay running until River's rescuer.
func riverText(err error) error {
	if msg := err.Error(); recordableText(msg) != msg {
		return errors.New(recordableText(msg))
	}
	return err
}

// step is what the worker tells River: an error to retry on River's
// schedule, a wait (snooze), a cancel reason (settled as failed), or done.
type step struct {
	err    error
	wait   time.Duration
	again  bool
	cancel error
}

// target is what one attempt needs, loaded in one place.
type target struct {
	delivery Delivery
	// tenantStatus is the tenant's status when the delivery was loaded
	// (paused: hold it; disabled: cancel it).
	tenantStatus tenants.Status
	event        Event
	endpoint     tenants.Endpoint
	health       EndpointHealth
	payload      routing.Rendered // set once rendered
	// mappingVersion is the endpoint's current mapping version (nil: none).
	mappingVersion *int64
	// recordingLink is the event's recording link id (nil: none).
	recordingLink *int64
}

// load reads the delivery, its event, endpoint, the endpoint's health,
// the tenant's status, the current mapping version and the event's
// recording link in one query (load.go), shared with the loads of other
// workers running at the same moment (load_batch.go).
func (w *Worker) load(ctx context.Context, id int64) (*target, error) {
	return w.loads.load(ctx, id)
}

// jitter spreads snoozes of many jobs waiting on the same thing: d plus up
// to a fifth, with d first clamped to 0..maxWaitSnooze so the sum can
// neither overflow into a negative wait nor panic rand on one.
func jitter(d time.Duration) time.Duration {
	d = min(max(d, 0), maxWaitSnooze)
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

func (w *Worker) attempt(ctx context.Context, deliveryID int64) step {
	t, err := w.load(ctx, deliveryID)
	if err != nil {
		if _, ok := problem.As(err); ok {
			return step{cancel: err}
		}
		return step{err: err}
	}
	if t.delivery.Status != DeliveryPending {
		return step{} // already settled: a re-run after a crash must not send again
	}
	log := w.log.With("delivery_id", t.delivery.ID, "tenant_id", t.delivery.TenantID, "endpoint_id", t.endpoint.ID, "event_id", t.event.ID)
	if wait, early := w.notDue(log, t.delivery.NextAttemptAt); early {
		log.Info("Retry is not due yet; waiting for it.", "retry_in_ms", wait.Milliseconds())
		return step{wait: wait}
	}
	if st, stop := w.mustNotSend(ctx, log, t); stop {
		return st
	}
	if st, wait := w.mayStart(ctx, t); wait || st.err != nil {
		return st
	}
	release, busy := w.limiter.Acquire(&t.endpoint, w.now())
	if release == nil {
		return step{wait: jitter(busy)}
	}
	defer release()
	payload, err := w.mapper.RenderVersion(ctx, t.endpoint, t.mappingVersion, routing.RenderInput{TenantID: t.delivery.TenantID, EndpointID: t.endpoint.ID,
		EventType: t.event.EventType, MeetingCode: t.event.MeetingCode, Revision: t.event.Revision, Body: t.event.Body,
		RecordingLink: w.recordingLink(t), VideoURLExpiresAt: t.event.VideoURLExpiresAt})
	if routing.IsCorrelationMissing(err) {
		// The vendor may record the ATS ids after the event arrived: retry on
		// the endpoint's schedule (bounded by its attempts and max age).
		res := sendResult{started: w.now().UTC(), class: "correlation-missing", err: err}
		return w.settle(ctx, log, t, res, Outcome{Kind: Retry, Err: err})
	} else if err != nil {
		res := sendResult{started: w.now().UTC(), class: "mapping", err: fmt.Errorf("mapping: %w", err)}
		return w.settle(ctx, log, t, res, Outcome{Kind: Permanent, Err: res.err})
	}
	res := w.send(ctx, t, payload)
	if ctx.Err() != nil && res.status == 0 {
		// Shutdown (or River's job timeout) cut the attempt short: River
		// retries the job; nothing was delivered, nothing is recorded.
		return step{err: fmt.Errorf("attempt interrupted: %w", ctx.Err())}
	}
	out := w.outcomeOf(ctx, t, &res)
	t.payload = payload
	return w.settle(ctx, log, t, res, out)
}

// mustNotSend settles (or holds) a delivery that may not be sent at all:
// its event was erased, its tenant is not active, its endpoint is
// disabled, or the endpoint no longer subscribes to the event. stop is false when it may be sent.
func (w *Worker) mustNotSend(ctx context.Context, log *slog.Logger, t *target) (st step, stop bool) {
	if t.event.ErasedAt != nil {
		// Erased after this delivery was queued (erase.go cancels what it
		// finds; a retry the erasure could not see yet ends here).
		res := sendResult{started: w.now().UTC(), class: ErrorClassErased, err: errErased}
		return w.settle(ctx, log, t, res, Outcome{Kind: Permanent, Err: errErased}), true
	}
	if t.tenantStatus != tenants.StatusActive {
		return w.tenantNotActive(ctx, log, t.delivery.ID, t.delivery.TenantID), true
	}
	if !t.endpoint.Enabled {
		res := sendResult{started: w.now().UTC(), class: "endpoint-disabled", err: errors.New("endpoint is disabled")}
		return w.settle(ctx, log, t, res, Outcome{Kind: Permanent, Err: res.err}), true
	}
	if err := notNamedError(&t.endpoint, t.event.EventType); err != nil {
		// Planned before the endpoint's subscriptions (or Switchboard's rule)
		// changed: a retry or held delivery must not send it anyway.
		res := sendResult{started: w.now().UTC(), class: "not-subscribed", err: err}
		return w.settle(ctx, log, t, res, Outcome{Kind: Permanent, Err: err}), true
	}
	return step{}, false
}

// outcomeOf classifies a sent attempt: its status or error, a
// configuration fault that retrying can't mend, a refused OAuth2 token
// (dropped, and the next try fetches a fresh one), and the receiver's
// Retry-After. It may replace res.err with the reason it settled on.
func (w *Worker) outcomeOf(ctx context.Context, t *target, res *sendResult) Outcome {
	out := Classify(res.status, res.err, t.endpoint.RetryClientErrors)
	if res.class == "config" {
		out.Kind = Permanent // a secret that won't unseal or a bad URL: retrying can't help
	}
	switch {
	case t.endpoint.AuthType == tenants.AuthBullhorn && res.accessToken != "" &&
		(res.status == http.StatusUnauthorized || res.status == http.StatusTemporaryRedirect || res.status == http.StatusPermanentRedirect):
		out = w.bullhornRefused(ctx, t, res.accessToken, res.status, out)
		res.err = out.Err
	case res.status == http.StatusUnauthorized && res.accessToken != "":
		out = w.tokenRefused(ctx, t, res.accessToken, out)
		res.err = out.Err
	}
	if out.Kind == Retry && res.respHeader != nil {
		out.Wait = RetryAfter(res.status, res.respHeader.Get("Retry-After"), w.now())
	}
	return out
}

// dueSlack is how far ahead of its delivery's next_attempt_at a job may run
// and still send. A snoozed job becomes available a moment after the time
// recorded with the failed attempt, by River's clock or PostgreSQL's, which
// may run a little ahead of this replica's. Earlier than that, River's
// rescuer handed the job out after a crash between recording the attempt
// and saving the job's snooze.
const dueSlack = 5 * time.Second

// notDue reports how long the retry a failed attempt scheduled is still
// ahead, when its job runs clearly early: the job then waits for it without
// sending or counting an attempt, so a receiver's Retry-After and the
// schedule hold across a crash. Manual retries and replays clear
// next_attempt_at, so they send at once. A time further ahead than any
// retry can wait was written by a clock far off: sending beats parking the
// delivery behind it.
func (w *Worker) notDue(log *slog.Logger, next *time.Time) (time.Duration, bool) {
	if next == nil {
		return 0, false
	}
	wait := next.Sub(w.now())
	if wait <= dueSlack {
		return 0, false
	}
	if wait > w.policy.longestWait()+dueSlack {
		log.Warn("Recorded retry time is further ahead than any retry waits; sending now.", "next_attempt_at", next.UTC())
		return 0, false
	}
	return wait, true
}

// mayStart applies the circuit breaker and ordered mode before a send.
func (w *Worker) mayStart(ctx context.Context, t *target) (step, bool) {
	wait, err := w.gate(ctx, &t.health, w.now().UTC())
	if err != nil {
		return step{err: err}, true
	}
	if wait > 0 {
		return step{wait: jitter(wait)}, true
	}
	if t.endpoint.Ordered {
		earlier, err := w.earlierPending(ctx, t)
		if err != nil {
			return step{err: err}, true
		}
		if earlier {
			return step{wait: jitter(w.busyWait)}, true
		}
	}
	return step{}, false
}

// earlierPending reports whether an earlier event of the same meeting is
// still pending for this endpoint (ordered mode: arrival order is id order).
func (w *Worker) earlierPending(ctx context.Context, t *target) (bool, error) {
	var n int64
	err := w.db.WithContext(ctx).Table("deliveries").Joins("JOIN events ON events.id = deliveries.event_id").
		Where("deliveries.endpoint_id = ? AND deliveries.status = ? AND events.meeting_code = ? AND events.id < ?",
			t.endpoint.ID, DeliveryPending, t.event.MeetingCode, t.event.ID).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("ordered mode check: %w", err)
	}
	return n > 0, nil
}

// recordingLink is the event's stable recording link, or "" (not a
// recording, no tenant key, revoked). The link id came with the load.
func (w *Worker) recordingLink(t *target) string {
	if w.links == nil || t.event.EventType != eventRecording || t.recordingLink == nil {
		return ""
	}
	return w.links.URLOf(*t.recordingLink)
}
