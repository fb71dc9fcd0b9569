package webhooks

import (
	"context"
	"sync"
)

// credCache holds one credential per endpoint in memory (an OAuth2 access
// token, a Bullhorn session), shared by this process's workers: one worker
// at a time fetches it and the others wait for its result instead of asking
// too. An entry belongs to one version of the endpoint's auth settings, so
// a change of them (a secret set again, another token URL or user) starts
// from an empty entry.
type credCache[T any] struct {
	mu      sync.Mutex
	entries map[int64]*credEntry[T]
}

// credEntry is one endpoint's credential. lock is a one-slot channel rather
// than a mutex so that waiting for it honours the attempt's context.
type credEntry[T any] struct {
	version string
	lock    chan struct{}
	value   T
}

func newCredCache[T any]() *credCache[T] {
	return &credCache[T]{entries: map[int64]*credEntry[T]{}}
}

// acquire returns endpointID's entry for version, locked; the caller
// unlocks it with release. It fails only when ctx ends first.
func (c *credCache[T]) acquire(ctx context.Context, endpointID int64, version string) (*credEntry[T], error) {
	c.mu.Lock()
	e := c.entries[endpointID]
	if e == nil || e.version != version {
		e = &credEntry[T]{version: version, lock: make(chan struct{}, 1)}
		c.entries[endpointID] = e
	}
	c.mu.Unlock()
	select {
	case e.lock <- struct{}{}:
		return e, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (e *credEntry[T]) release() { <-e.lock }

// drop empties endpointID's entry if refused says its credential is the
// one a receiver refused, so the next attempt fetches a fresh one; one
// another worker fetched meanwhile is kept.
func (c *credCache[T]) drop(ctx context.Context, endpointID int64, refused func(T) bool) {
	c.mu.Lock()
	e := c.entries[endpointID]
	c.mu.Unlock()
	if e == nil {
		return
	}
	select {
	case e.lock <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer e.release()
	if refused(e.value) {
		var zero T
		e.value = zero
	}
}
