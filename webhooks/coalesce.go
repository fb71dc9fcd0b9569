package webhooks

import (
	"context"
	"runtime"
)

// coalesceQueueSize is the room for waiting requests; more than River's
// workers, so a request never waits to enqueue in practice.
const coalesceQueueSize = 1024

// coalescer runs requests that are pending at the same moment together,
// like the ingest group commit (batch.go) but without goroutines of its
// own: a waiter that gets one of the runner slots takes whatever is
// pending (its own request and others', up to max) without waiting, runs
// the batch and hands each waiter its answer. Under light load a batch is
// the caller's own request and adds no delay; up to len(slots) batches run
// at once, so one slow batch doesn't hold every worker.
type coalescer[Req, Res any] struct {
	max   int
	queue chan *coalesced[Req, Res]
	slots chan struct{}
	// run answers every request of batch (each exactly once, through
	// answer); requests whose context has ended are already answered.
	run func(batch []*coalesced[Req, Res])
}

// coalesced is one waiting request.
type coalesced[Req, Res any] struct {
	ctx  context.Context
	req  Req
	done chan coalescedResult[Res] // buffered: a runner never blocks on a waiter
}

type coalescedResult[Res any] struct {
	res Res
	err error
}

func (c *coalesced[Req, Res]) answer(res Res, err error) {
	c.done <- coalescedResult[Res]{res, err}
}

func newCoalescer[Req, Res any](max, runners int, run func([]*coalesced[Req, Res])) *coalescer[Req, Res] {
	return &coalescer[Req, Res]{max: max, queue: make(chan *coalesced[Req, Res], coalesceQueueSize),
		slots: make(chan struct{}, runners), run: run}
}

// do enqueues req and returns its answer, running batches (its own or
// others') while a runner slot is free. A waiter whose ctx ends gets
// ctx.Err(); its request may still run.
func (c *coalescer[Req, Res]) do(ctx context.Context, req Req) (Res, error) {
	var zero Res
	w := &coalesced[Req, Res]{ctx: ctx, req: req, done: make(chan coalescedResult[Res], 1)}
	select {
	case c.queue <- w:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	for {
		select {
		case r := <-w.done:
			return r.res, r.err
		default:
		}
		select {
		case r := <-w.done:
			return r.res, r.err
		case c.slots <- struct{}{}:
			runtime.Gosched() // lets goroutines already runnable (River starts a fetch's jobs at once) enqueue first
			batch := c.take()
			if len(batch) > 0 {
				c.run(batch)
			}
			<-c.slots
			if len(batch) == 0 {
				// Another runner took ours and will answer it.
				select {
				case r := <-w.done:
					return r.res, r.err
				case <-ctx.Done():
					return zero, ctx.Err()
				}
			}
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// take is whatever is pending, up to max, without waiting; requests whose
// context has ended are answered with its error and left out.
func (c *coalescer[Req, Res]) take() []*coalesced[Req, Res] {
	var batch []*coalesced[Req, Res]
	for len(batch) < c.max {
		select {
		case w := <-c.queue:
			if err := w.ctx.Err(); err != nil {
				var zero Res
				w.answer(zero, err)
				continue
			}
			batch = append(batch, w)
		default:
			return batch
		}
	}
	return batch
}
