package auth

import (
	"sync"
	"time"
)

// Login throttling: after AccountFailures failed sign-ins to one email (or
// AddressFailures from one address) within LockoutWindow, further attempts
// are refused until the window has passed since the last failure.
const (
	AccountFailures = 5
	AddressFailures = 20
	LockoutWindow   = 15 * time.Minute
	// limiterMaxKeys bounds memory under a spray of random emails.
	limiterMaxKeys = 100_000
)

// limiter counts failed logins per key in memory. Each replica counts its
// own; with N replicas an attacker gets at most N times the budget.
type limiter struct {
	mu     sync.Mutex
	now    func() time.Time
	counts map[string]*failures
}

type failures struct {
	n    int
	last time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, counts: map[string]*failures{}}
}

// wait returns how long key must wait before its next attempt (0: go ahead).
func (l *limiter) wait(key string, max int) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.counts[key]
	if f == nil {
		return 0
	}
	left := LockoutWindow - l.now().Sub(f.last)
	if left <= 0 {
		delete(l.counts, key)
		return 0
	}
	if f.n < max {
		return 0
	}
	return left
}

// fail records a failed attempt for key.
func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.counts) >= limiterMaxKeys {
		l.prune(now)
	}
	f := l.counts[key]
	if f == nil || now.Sub(f.last) >= LockoutWindow {
		f = &failures{}
		l.counts[key] = f
	}
	f.n++
	f.last = now
}

// reset forgets key (after a successful sign-in).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.counts, key)
}

func (l *limiter) prune(now time.Time) {
	for k, f := range l.counts {
		if now.Sub(f.last) >= LockoutWindow {
			delete(l.counts, k)
		}
	}
	if len(l.counts) >= limiterMaxKeys { // still full of fresh keys: start over rather than grow
		clear(l.counts)
	}
}
