package webhooks

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// DefaultRetrySchedule is the wait before each retry after the first try:
// eleven tries over about a day (the last one 21 h 43 m after the first),
// each wait spread by ±20 % jitter so a recovering endpoint is not hit by a
// synchronised wave.
var DefaultRetrySchedule = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 6 * time.Hour, 8 * time.Hour,
}

// QueueDeliveries is the River queue delivery jobs run on.
const QueueDeliveries = "deliveries"

// RetryPolicy is the backoff schedule of deliveries. It implements
// river.ClientRetryPolicy.
type RetryPolicy struct {
	Schedule []time.Duration
	Jitter   float64 // fraction, e.g. 0.2 for ±20 %
	now      func() time.Time
}

// NewRetryPolicy returns a policy with the given schedule (DefaultRetrySchedule when empty).
func NewRetryPolicy(schedule []time.Duration, jitter float64) RetryPolicy {
	if len(schedule) == 0 {
		schedule = DefaultRetrySchedule
	}
	return RetryPolicy{Schedule: schedule, Jitter: jitter, now: time.Now}
}

// MaxAttempts is the first try plus one retry per schedule step.
func (p RetryPolicy) MaxAttempts() int { return len(p.Schedule) + 1 }

// Delay is the wait after the given failed attempt (1-based), jittered.
func (p RetryPolicy) Delay(attempt int) time.Duration {
	i := min(max(attempt-1, 0), len(p.Schedule)-1)
	d := p.Schedule[i]
	if p.Jitter > 0 {
		f := 1 + p.Jitter*(2*rand.Float64()-1)
		d = time.Duration(float64(d) * f)
	}
	return d
}

// longestWait is the longest wait Next can return: the longest step with
// its jitter, or an endpoint's Retry-After.
func (p RetryPolicy) longestWait() time.Duration {
	longest := slices.Max(p.Schedule)
	return max(time.Duration(float64(longest)*(1+p.Jitter)), maxRetryAfter)
}

// NextRetry implements river.ClientRetryPolicy.
func (p RetryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	now := time.Now
	if p.now != nil {
		now = p.now
	}
	return now().Add(p.Delay(job.Attempt))
}

// riverMaxAttempts bounds River's own retries of a delivery job. The worker
// schedules ordinary retries itself (river.JobSnooze, which River does not
// count), so River retries only what the worker could not record: a database
// outage, a crash, a shutdown mid-attempt.
const riverMaxAttempts = 25

func (p RetryPolicy) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: QueueDeliveries, MaxAttempts: riverMaxAttempts}
}

// Next decides, after failed attempt roundAttempt (1-based, counted from the
// start of the delivery's current round), whether to try again and after how
// long. retryAfter, when positive, is the endpoint's own wish and replaces
// the schedule; a non-zero deadline (the endpoint's max age) clamps the wait
// so the last try happens at the deadline, and after it nothing is retried.
func (p RetryPolicy) Next(roundAttempt, maxAttempts int, retryAfter time.Duration, now, deadline time.Time) (time.Duration, bool) {
	if maxAttempts <= 0 {
		maxAttempts = p.MaxAttempts()
	}
	if roundAttempt >= maxAttempts {
		return 0, false
	}
	wait := retryAfter
	if wait <= 0 {
		wait = p.Delay(roundAttempt)
	}
	if !deadline.IsZero() {
		if !now.Before(deadline) {
			return 0, false
		}
		wait = min(wait, deadline.Sub(now))
	}
	return wait, true
}
