package webhooks

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
)

// loadBatchMax is how many deliveries one batched load reads at most. Each
// statement has a fixed cost on both sides (PostgreSQL initialises the
// five-table join plan, pgx sets up its column decoders), so concurrent
// workers share one.
const loadBatchMax = 32

// loadBatchTimeout bounds one batched query. It doesn't use a waiter's
// context: one waiter's cancellation must not fail the others.
const loadBatchTimeout = 30 * time.Second

// loadQueueSize is the room for waiting loads; more than River's workers
// so a load never waits to enqueue in practice.
const loadQueueSize = 1024

// loadBatcher answers concurrent loads of deliveries with one query per
// batch, like the ingest group commit (batch.go), but without goroutines of
// its own: a waiter that gets a loader slot takes whatever is pending (its
// own request and others', up to loadBatchMax) without waiting, runs the
// query and hands each waiter its row. Under light load a batch is the
// caller's own row and adds no delay. Up to loaders queries run at once,
// so one slow query doesn't hold every worker.
type loadBatcher struct {
	db    *gorm.DB
	q     *targetQuery
	queue chan *loadRequest
	slots chan struct{}
}

type loadRequest struct {
	ctx  context.Context
	id   int64
	done chan loadResult // buffered: a loader never blocks on a waiter
}

type loadResult struct {
	t   *target
	err error
}

// newLoadBatcher returns a batcher over db: four concurrent queries on
// PostgreSQL, one on SQLite (one connection: more would only queue there).
func newLoadBatcher(db *gorm.DB, q *targetQuery) *loadBatcher {
	loaders := 4
	if db.Dialector.Name() != "postgres" {
		loaders = 1
	}
	return &loadBatcher{db: db, q: q, queue: make(chan *loadRequest, loadQueueSize), slots: make(chan struct{}, loaders)}
}

// load is loadJoined through the batcher: the delivery's target, or
// problem.NotFound, or the query's error.
func (b *loadBatcher) load(ctx context.Context, id int64) (*target, error) {
	req := &loadRequest{ctx: ctx, id: id, done: make(chan loadResult, 1)}
	select {
	case b.queue <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for {
		select {
		case r := <-req.done:
			return r.t, r.err
		default:
		}
		select {
		case r := <-req.done:
			return r.t, r.err
		case b.slots <- struct{}{}:
			batch := b.take()
			b.run(batch)
			<-b.slots
			if len(batch) == 0 {
				// Another loader took ours and will answer it.
				select {
				case r := <-req.done:
					return r.t, r.err
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
		case <-ctx.Done():
			return nil, ctx.Err() // a loader still reads it, then drops the answer
		}
	}
}

// take is whatever is pending, up to loadBatchMax, without waiting.
func (b *loadBatcher) take() []*loadRequest {
	var batch []*loadRequest
	for len(batch) < loadBatchMax {
		select {
		case req := <-b.queue:
			batch = append(batch, req)
		default:
			return batch
		}
	}
	return batch
}

// run answers every request of batch. When the shared query fails, each
// is read alone, so one row's trouble never decides another's answer.
func (b *loadBatcher) run(batch []*loadRequest) {
	live := batch[:0]
	for _, req := range batch {
		if err := req.ctx.Err(); err != nil {
			req.done <- loadResult{err: err}
			continue
		}
		live = append(live, req)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), loadBatchTimeout)
	defer cancel()
	ids := make([]int64, len(live))
	for i, req := range live {
		ids[i] = req.id
	}
	found, err := loadTargets(ctx, b.db, b.q, ids)
	if err != nil && len(live) == 1 {
		live[0].done <- loadResult{err: fmt.Errorf("load delivery %d: %w", live[0].id, err)}
		return
	}
	for _, req := range live {
		if err != nil {
			t, err := loadJoined(ctx, b.db, b.q, req.id)
			req.done <- loadResult{t: t, err: err}
		} else if r, ok := found[req.id]; ok {
			req.done <- loadResult{t: r.target()} // a copy per waiter: attempts write to their target
		} else {
			req.done <- loadResult{err: problem.NotFound("delivery")}
		}
	}
}
