package webhooks

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestCoalescer: each of many concurrent waiters gets the answer to its
// own request, exactly once, and no batch exceeds max.
func TestCoalescer(t *testing.T) {
	var batches, biggest, runs atomic.Int64
	var c *coalescer[int, string]
	c = newCoalescer(8, 2, func(batch []*coalesced[int, string]) {
		batches.Add(1)
		runs.Add(int64(len(batch)))
		if n := int64(len(batch)); n > biggest.Load() {
			biggest.Store(n)
		}
		for _, w := range batch {
			w.answer(fmt.Sprint(w.req), nil)
		}
	})
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Go(func() {
			if got, err := c.do(context.Background(), i); err != nil || got != fmt.Sprint(i) {
				t.Errorf("request %d: got %q, %v", i, got, err)
			}
		})
	}
	wg.Wait()
	if runs.Load() != 500 || biggest.Load() > 8 {
		t.Errorf("%d requests run in %d batches, biggest %d; want 500, at most 8 each", runs.Load(), batches.Load(), biggest.Load())
	}
}
