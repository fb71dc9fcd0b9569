package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
)

// Push-back defaults: past either bound, ingest answers 503 with
// Retry-After instead of queueing without limit (Boooply retries).
const (
	// DefaultMaxPendingIngest bounds the events being stored at once (waiting
	// for or inside a group commit): what the default writers hold in their
	// transactions (4 × 64). An ack then waits at most about pending ÷ ingest
	// rate (0.35 s at 700/s) instead of growing with the overload; at 1,000
	// events/s with 10 ms acks about ten are pending.
	DefaultMaxPendingIngest = 256
	// DefaultMaxDeliveryBacklog bounds the deliveries ready to run and not yet
	// started (River jobs "available" in the deliveries queue): past it
	// delivery is behind, and taking more events would only grow the lag,
	// which this bounds at about backlog ÷ delivery rate: 2,000 is 1.3 s at
	// 1,500 deliveries/s, 6 s at the 350/s of a busy 2-core machine.
	DefaultMaxDeliveryBacklog = 2000
	// backlogRefresh is how often the backlog is counted.
	backlogRefresh = 250 * time.Millisecond
)

// Retry-After of each refusal, in seconds.
const (
	retryAfterPending = 1
	retryAfterBacklog = 2
)

// ingestRefused counts requests refused by push-back, by bound.
var ingestRefused = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "switchboard_ingest_refused_total",
	Help: "Inbound webhooks answered 503 by push-back, by bound (pending, backlog).",
}, []string{"bound"})

// Admission is ingest's push-back: a bound on pending events (checked per
// request, no database work) and on the delivery backlog (counted in the
// background every 250 ms with a bounded query). Zero or negative limits
// turn a bound off. Admission is safe for concurrent use.
type Admission struct {
	maxPending int64
	maxBacklog int64
	pending    atomic.Int64
	backlog    atomic.Int64
}

// NewAdmission returns push-back with these bounds (0 = unbounded).
func NewAdmission(maxPending, maxBacklog int) *Admission {
	// Both bounds are exported from the start, at zero, so an alert on
	// push-back finds its series before the first refusal.
	ingestRefused.WithLabelValues("pending")
	ingestRefused.WithLabelValues("backlog")
	return &Admission{maxPending: int64(maxPending), maxBacklog: int64(maxBacklog)}
}

// LimitIngest makes the webhook handler refuse events past a's bounds
// (nil: no push-back). Call it before serving.
func (s *Service) LimitIngest(a *Admission) { s.admission = a }

// Enter admits one event into ingest. On success the caller must call the
// returned release when the event is answered; otherwise the error is a
// problem.Unavailable carrying Retry-After.
func (a *Admission) Enter() (func(), error) {
	if a == nil {
		return func() {}, nil
	}
	if a.maxBacklog > 0 && a.backlog.Load() >= a.maxBacklog {
		ingestRefused.WithLabelValues("backlog").Inc()
		return nil, problem.Unavailable("delivery is behind; retry later", retryAfterBacklog)
	}
	n := a.pending.Add(1)
	if a.maxPending > 0 && n > a.maxPending {
		a.pending.Add(-1)
		ingestRefused.WithLabelValues("pending").Inc()
		return nil, problem.Unavailable("too many events are being stored; retry later", retryAfterPending)
	}
	return func() { a.pending.Add(-1) }, nil
}

// Pending is how many events are being stored now.
func (a *Admission) Pending() int64 { return a.pending.Load() }

// Backlog is the delivery backlog last counted (capped at the limit + 1).
func (a *Admission) Backlog() int64 { return a.backlog.Load() }

// Run counts the delivery backlog every 250 ms until ctx ends. It does
// nothing when the backlog is unbounded. A failed count keeps the last value.
func (a *Admission) Run(ctx context.Context, db *gorm.DB, log *slog.Logger) {
	if a == nil || a.maxBacklog <= 0 {
		return
	}
	t := time.NewTicker(backlogRefresh)
	defer t.Stop()
	for {
		if err := a.refresh(ctx, db); err != nil && ctx.Err() == nil {
			log.Warn("Could not count the delivery backlog.", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refresh counts available delivery jobs, at most maxBacklog + 1 of them, so
// the query costs the same however far behind delivery is.
func (a *Admission) refresh(ctx context.Context, db *gorm.DB) error {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var n int64
	err := db.WithContext(qctx).Raw(`SELECT COUNT(*) FROM (SELECT 1 FROM river_job
		WHERE state = 'available' AND queue = ? LIMIT ?) AS available`, QueueDeliveries, a.maxBacklog+1).Scan(&n).Error
	if err != nil {
		return fmt.Errorf("count delivery backlog: %w", err)
	}
	a.backlog.Store(n)
	return nil
}
