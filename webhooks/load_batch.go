package webhooks

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
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

// loadBatchSize is on Prometheus' default registry, like the ingest batch size.
var loadBatchSize = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:    "switchboard_delivery_load_batch_deliveries",
	Help:    "Deliveries read together by one batched load.",
	Buckets: []float64{1, 2, 4, 8, 16, 32},
})

// loadBatcher answers the loads of concurrent workers with one query per
// batch (coalesce.go).
type loadBatcher struct {
	db *gorm.DB
	q  *targetQuery
	c  *coalescer[int64, *target]
}

// newLoadBatcher returns a batcher over db: up to four queries at once on
// PostgreSQL, one on SQLite (one connection: more would only queue there).
func newLoadBatcher(db *gorm.DB, q *targetQuery) *loadBatcher {
	runners := 4
	if db.Dialector.Name() != "postgres" {
		runners = 1
	}
	b := &loadBatcher{db: db, q: q}
	b.c = newCoalescer(loadBatchMax, runners, b.run)
	return b
}

// load is loadJoined through the batcher: the delivery's target, or
// problem.NotFound, or the query's error.
func (b *loadBatcher) load(ctx context.Context, id int64) (*target, error) {
	return b.c.do(ctx, id)
}

// run answers every request of batch. When the shared query fails, each
// is read alone, so one row's trouble never decides another's answer.
func (b *loadBatcher) run(batch []*coalesced[int64, *target]) {
	loadBatchSize.Observe(float64(len(batch)))
	ctx, cancel := context.WithTimeout(context.Background(), loadBatchTimeout)
	defer cancel()
	ids := make([]int64, len(batch))
	for i, w := range batch {
		ids[i] = w.req
	}
	found, err := loadTargets(ctx, b.db, b.q, ids)
	if err != nil && len(batch) == 1 {
		batch[0].answer(nil, fmt.Errorf("load delivery %d: %w", batch[0].req, err))
		return
	}
	for _, w := range batch {
		if err != nil {
			w.answer(loadJoined(ctx, b.db, b.q, w.req))
		} else if r, ok := found[w.req]; ok {
			w.answer(r.target(), nil) // a copy per waiter: attempts write to their target
		} else {
			w.answer(nil, problem.NotFound("delivery"))
		}
	}
}
