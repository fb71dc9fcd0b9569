package webhooks

import (
	"context"
	"sync"
)

// credCache holds one credential per key in memory (an OAuth2 access token
// per endpoint, a Bullhorn session per API user), shared by this process's
// workers: one worker at a time fetches it and the others wait for its
// result instead of asking too. An entry belongs to one version of the auth
// settings, so a change of them (a secret set again, another token URL or
// user) starts from an empty entry.
type credCache[K comparable, T any] struct {
	mu      sync.Mutex
	entries map[K]*credEntry[T]
}

// credEntry is one key's credential. lock is a one-slot channel rather
// than a mutex so that waiting for it honours the attempt's context.
type credEntry[T any] struct {
	version string
	lock    chan struct{}
	value   T
}

func newCredCache[K comparable, T any]() *credCache[K, T] {
	return &credCache[K, T]{entries: map[K]*credEntry[T]{}}
}

// acquire returns key's entry for version, locked; the caller unlocks it
// with release. It fails only when ctx ends first.
func (c *credCache[K, T]) acquire(ctx context.Context, key K, version string) (*credEntry[T], error) {
	c.mu.Lock()
	e := c.entries[key]
	if e == nil || e.version != version {
		e = &credEntry[T]{version: version, lock: make(chan struct{}, 1)}
		c.entries[key] = e
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

// drop empties key's entry if refused says its credential is the one a
// receiver refused, so the next attempt fetches a fresh one; one another
// worker fetched meanwhile is kept.
func (c *credCache[K, T]) drop(ctx context.Context, key K, refused func(T) bool) {
	c.mu.Lock()
	e := c.entries[key]
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
