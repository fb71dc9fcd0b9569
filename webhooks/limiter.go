package webhooks

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboard-gw/switchboard/tenants"
)

// DefaultMaxConcurrency is how many attempts may be in flight to one
// endpoint at once in one process when the endpoint does not say.
const DefaultMaxConcurrency = 8

// Limiter caps attempts per endpoint within this process: at most
// max_concurrency in flight, and at most rate_limit_per_second started. A
// worker that cannot start an attempt snoozes its job instead of blocking,
// so a slow endpoint holds at most its own cap of workers and never the
// whole pool. Across N replicas the effective caps are N times these.
type Limiter struct {
	mu         sync.Mutex
	endpoints  map[int64]*endpointLimit
	defaultCap int
	busyWait   time.Duration
}

type endpointLimit struct {
	slots chan struct{}
	rate  float64
	limit *rate.Limiter
	// refused counts refusals since the last granted slot: a long backlog
	// behind a slow endpoint backs off further, so waiting jobs don't churn
	// the queue (capped at maxBusyFactor × busyWait).
	refused atomic.Int64
}

// maxBusyFactor caps the backoff of jobs waiting for a busy endpoint.
const maxBusyFactor = 30

// NewLimiter returns a limiter with defaultCap for endpoints without their
// own max_concurrency (DefaultMaxConcurrency when defaultCap <= 0); a job
// refused a slot waits at least busyWait.
func NewLimiter(defaultCap int, busyWait time.Duration) *Limiter {
	if defaultCap <= 0 {
		defaultCap = DefaultMaxConcurrency
	}
	return &Limiter{endpoints: map[int64]*endpointLimit{}, defaultCap: defaultCap, busyWait: busyWait}
}

// Acquire takes a slot for an attempt to ep. It returns a release func and
// 0, or nil and how long to wait before asking again: longer the more jobs
// were refused since the endpoint last had room, never over maxWaitSnooze.
func (l *Limiter) Acquire(ep *tenants.Endpoint, now time.Time) (func(), time.Duration) {
	el := l.forEndpoint(ep)
	select {
	case el.slots <- struct{}{}:
		el.refused.Store(0)
	default:
		n := el.refused.Add(1)
		factor := min(1+n/int64(cap(el.slots)), maxBusyFactor)
		return nil, time.Duration(factor) * l.busyWait
	}
	release := func() { <-el.slots }
	if el.limit != nil {
		r := el.limit.ReserveN(now, 1)
		if d := r.DelayFrom(now); d > 0 {
			r.CancelAt(now)
			release()
			// rate's "never" is InfDuration: a capped wait lets the job
			// ask again instead of overflowing the snooze.
			return nil, min(d, maxWaitSnooze)
		}
	}
	return release, 0
}

// forEndpoint returns ep's limits, rebuilt when its configuration changed.
func (l *Limiter) forEndpoint(ep *tenants.Endpoint) *endpointLimit {
	capacity := ep.MaxConcurrency
	if capacity <= 0 {
		capacity = l.defaultCap
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	el := l.endpoints[ep.ID]
	if el != nil && cap(el.slots) == capacity && el.rate == ep.RateLimitPerSecond {
		return el
	}
	// A changed configuration starts fresh; attempts holding old slots
	// release into the old channel, which is then dropped.
	el = &endpointLimit{slots: make(chan struct{}, capacity), rate: ep.RateLimitPerSecond}
	if ep.RateLimitPerSecond > 0 {
		// Validation refuses slower rates; one stored before it did runs
		// at the slowest allowed, so its deliveries still go out.
		perSecond := max(ep.RateLimitPerSecond, tenants.MinRatePerSecond)
		burst := int(math.Max(1, math.Ceil(perSecond)))
		el.limit = rate.NewLimiter(rate.Limit(perSecond), burst)
	}
	l.endpoints[ep.ID] = el
	return el
}
