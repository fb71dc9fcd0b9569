package webhooks

import (
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/tenants"
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
