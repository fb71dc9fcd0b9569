package webhooks

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	t.Run("caps concurrency and backs off a growing backlog", func(t *testing.T) {
		l := NewLimiter(8, time.Second)
		ep := &tenants.Endpoint{ID: 1, MaxConcurrency: 2}
		r1, _ := l.Acquire(ep, now)
		r2, _ := l.Acquire(ep, now)
		if r1 == nil || r2 == nil {
			t.Fatal("the first two attempts were refused")
		}
		var waits []time.Duration
		for range 6 {
			r, wait := l.Acquire(ep, now)
			if r != nil {
				t.Fatal("a third attempt got a slot with a cap of 2")
			}
			waits = append(waits, wait)
		}
		if waits[0] != time.Second || waits[5] != 4*time.Second {
			t.Fatalf("waits %v, want 1s growing to 4s", waits)
		}
		r1()
		if r, _ := l.Acquire(ep, now); r == nil {
			t.Fatal("no slot after a release")
		}
		r2()
	})
	t.Run("default cap applies", func(t *testing.T) {
		l := NewLimiter(3, time.Second)
		ep := &tenants.Endpoint{ID: 2}
		for i := range 3 {
			if r, _ := l.Acquire(ep, now); r == nil {
				t.Fatalf("attempt %d refused under the default cap of 3", i+1)
			}
		}
		if r, _ := l.Acquire(ep, now); r != nil {
			t.Fatal("a fourth attempt passed the default cap of 3")
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		l := NewLimiter(100, time.Second)
		ep := &tenants.Endpoint{ID: 3, RateLimitPerSecond: 2}
		for i := range 2 {
			r, _ := l.Acquire(ep, now)
			if r == nil {
				t.Fatalf("attempt %d within the burst refused", i+1)
			}
			r()
		}
		r, wait := l.Acquire(ep, now)
		if r != nil || wait <= 0 || wait > 500*time.Millisecond {
			t.Fatalf("third attempt in the same instant: release %v wait %v, want refused with a wait up to 500ms", r != nil, wait)
		}
		if r, _ := l.Acquire(ep, now.Add(time.Second)); r == nil {
			t.Fatal("refused a second later")
		}
	})
}

// TestLimiterWaitIsBounded: a rate too slow to wait for (stored before
// validation refused it) still answers a wait a snooze can hold.
func TestLimiterWaitIsBounded(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	l := NewLimiter(8, time.Second)
	ep := &tenants.Endpoint{ID: 1, RateLimitPerSecond: 1e-300}
	r, _ := l.Acquire(ep, now)
	if r == nil {
		t.Fatal("the first attempt was refused")
	}
	r()
	if r, wait := l.Acquire(ep, now); r != nil || wait <= 0 || wait > maxWaitSnooze {
		t.Fatalf("second attempt: release %v wait %v, want refused with a wait in (0, %v]", r != nil, wait, maxWaitSnooze)
	}
}

func TestJitterSaturates(t *testing.T) {
	cases := []struct {
		name     string
		in       time.Duration
		min, max time.Duration
	}{
		{name: "one second", in: time.Second, min: time.Second, max: 1200 * time.Millisecond},
		{name: "zero", in: 0, min: 0, max: 0},
		{name: "negative", in: -time.Hour, min: 0, max: 0},
		{name: "rate's infinite wait", in: math.MaxInt64, min: maxWaitSnooze, max: maxWaitSnooze * 6 / 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for range 100 {
				if got := jitter(tc.in); got < tc.min || got > tc.max {
					t.Fatalf("jitter(%v) = %v, want in [%v, %v]", tc.in, got, tc.min, tc.max)
				}
			}
		})
	}
}

// TestRateLimitedJobSnoozes: a delivery the rate limiter holds back ends its
// job with a bounded snooze, never a silent completion that would leave it
// pending with no job, even for a rate stored before validation refused it.
func TestRateLimitedJobSnoozes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{stopped: true}) // the test runs the jobs itself
		h := newHook(t, nil)
		createTenant(t, db, "org_slow", h.URL+"/hook", func(ep *tenants.Endpoint) { ep.RateLimitPerSecond = 1e-300 })
		first, second := e.ingest(t, "org_slow", "m-slow-1"), e.ingest(t, "org_slow", "m-slow-2")
		work := func(eventID int64) error {
			return e.worker.Work(context.Background(), &river.Job[DeliverArgs]{Args: DeliverArgs{DeliveryID: deliveryOf(t, db, eventID).ID}})
		}
		if err := work(first); err != nil || deliveryOf(t, db, first).Status != DeliveryDelivered {
			t.Fatalf("first delivery: err %v, status %s, want delivered within the burst", err, deliveryOf(t, db, first).Status)
		}
		err := work(second)
		var snooze *rivertype.JobSnoozeError
		// At one per hour (the slowest rate the limiter runs), the next token
		// is about an hour away: the snooze waits for it rather than spin.
		if !errors.As(err, &snooze) || snooze.Duration < maxWaitSnooze-time.Minute || snooze.Duration > maxWaitSnooze*6/5 {
			t.Fatalf("second delivery: Work returned %v, want a snooze of about %v", err, maxWaitSnooze)
		}
		if d := deliveryOf(t, db, second); d.Status != DeliveryPending || len(attemptsOf(t, db, d.ID)) != 0 {
			t.Fatalf("second delivery: %s with %d attempts, want pending and untried", d.Status, len(attemptsOf(t, db, d.ID)))
		}
	})
}
