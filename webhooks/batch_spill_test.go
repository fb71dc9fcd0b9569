package webhooks

import (
	"context"
	"testing"
	"time"
)

// spillWatch starts a two-writer batcher whose commits block until
// released and reports each commit's size as it begins.
func spillWatch(t *testing.T, max int) (b *batcher, started chan int, release chan struct{}) {
	t.Helper()
	b = newBatcher(max, 2)
	started, release = make(chan int, 16), make(chan struct{})
	b.store = func(items []*batchItem) {
		started <- len(items)
		<-release
		for _, it := range items {
			it.done <- batchResult{}
		}
	}
	for range 2 {
		go b.loop()
	}
	t.Cleanup(func() { close(b.stop) })
	return b, started, release
}

func enqueue(b *batcher) {
	b.queue <- &batchItem{ctx: context.Background(), done: make(chan batchResult, 1)}
}

// commitStarts waits for the next commit to begin and returns its size.
func commitStarts(t *testing.T, started chan int) int {
	t.Helper()
	select {
	case n := <-started:
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("no commit began")
		return 0
	}
}

// noCommitStarts checks that no commit begins for a while: events wait for
// the one in flight instead of overlapping it.
func noCommitStarts(t *testing.T, started chan int) {
	t.Helper()
	select {
	case n := <-started:
		t.Fatalf("a commit of %d events overlapped the one in flight", n)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestSecondWriterWaitsUnderLightLoad: while one commit is in flight, a
// lone event waits for it and is then committed with whatever else arrived.
func TestSecondWriterWaitsUnderLightLoad(t *testing.T) {
	b, started, release := spillWatch(t, 64) // spills at 16
	enqueue(b)
	if n := commitStarts(t, started); n != 1 {
		t.Fatalf("first commit: %d events, want 1", n)
	}
	for range 3 {
		enqueue(b)
	}
	noCommitStarts(t, started)
	release <- struct{}{}
	if n := commitStarts(t, started); n != 3 {
		t.Fatalf("second commit: %d events, want the 3 that waited", n)
	}
	release <- struct{}{}
}

// TestSecondWriterOverlapsUnderLoad: once spillAt events wait, the second
// writer commits them alongside the commit in flight.
func TestSecondWriterOverlapsUnderLoad(t *testing.T) {
	b, started, release := spillWatch(t, 8) // spills at 2
	enqueue(b)
	if n := commitStarts(t, started); n != 1 {
		t.Fatalf("first commit: %d events, want 1", n)
	}
	enqueue(b)
	noCommitStarts(t, started)
	enqueue(b)
	if n := commitStarts(t, started); n != 2 {
		t.Fatalf("overlapping commit: %d events, want 2", n)
	}
	release <- struct{}{}
	release <- struct{}{}
}
