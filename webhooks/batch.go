package webhooks

import (
	"context"
	"errors"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/routing"
)

// DefaultBatchMax is how many pending events one group commit takes at most.
const DefaultBatchMax = 64

// spillShare sets when a second writer overlaps a commit in flight: once
// max/spillShare events wait (16 of 64).
const spillShare = 4

// batchCommitTimeout bounds one group commit, so a hung database fails the
// waiting requests (503) instead of holding them.
const batchCommitTimeout = 10 * time.Second

// batcher is the group-commit writer: requests enqueue their event, a
// writer goroutine takes whatever is pending (up to max) and stores it in
// one transaction, and each waiter gets its own result. With more than
// one writer, a writer that finds a commit in flight keeps collecting
// until that commit ends, and commits alongside it only once spillAt
// events are waiting: under moderate load commits stay one at a time and
// as large as the load makes them (the cheapest per event), under
// overload they overlap. Dedupe and revision
// logic run inside the transaction in arrival order, so two copies in one
// batch are one event and a duplicate. A unique-constraint race with
// another replica rolls the batch back and each event is retried in its
// own transaction.
type batcher struct {
	svc     *Service
	max     int
	spillAt int
	queue   chan *batchItem
	turn    chan struct{}      // held by the writer whose commit is not overlapping another
	store   func([]*batchItem) // commit; a test may watch it
	stop    chan struct{}
	exited  chan struct{}
	stopped sync.Once
}

type batchItem struct {
	ctx  context.Context
	in   Inbound
	done chan batchResult // buffered: the writer never blocks on a waiter
	// queued is when the request handed the event over (commit-wait metric).
	queued time.Time
}

type batchResult struct {
	res IngestResult
	err error
}

// EnableBatching turns group commit on with up to max events per commit and
// up to writers transactions at once (1 on SQLite, which has one writer);
// a second overlaps the first only while max/4 events wait (see batcher).
// Call Close when done.
func (s *Service) EnableBatching(max, writers int) {
	if max < 2 {
		return
	}
	if writers < 1 {
		writers = 1
	}
	b := newBatcher(max, writers)
	b.svc, b.store = s, b.commit
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() { defer wg.Done(); b.loop() }()
	}
	go func() { wg.Wait(); close(b.exited) }()
	s.batch = b
}

func newBatcher(max, writers int) *batcher {
	spillAt := max / spillShare
	if spillAt < 2 {
		spillAt = 2
	}
	return &batcher{max: max, spillAt: spillAt, queue: make(chan *batchItem, max*writers*4),
		turn: make(chan struct{}, 1), stop: make(chan struct{}), exited: make(chan struct{})}
}

// Close stops the group-commit writers after they finish what is queued.
func (s *Service) Close() {
	if s.batch == nil {
		return
	}
	s.batch.stopped.Do(func() { close(s.batch.stop) })
	<-s.batch.exited
}

// submit enqueues in and waits for its result. ok is false when the writer
// has stopped and the caller must store the event itself.
func (b *batcher) submit(ctx context.Context, in Inbound) (IngestResult, error, bool) {
	it := &batchItem{ctx: ctx, in: in, done: make(chan batchResult, 1), queued: time.Now()}
	select {
	case b.queue <- it:
	case <-b.exited:
		return IngestResult{}, nil, false
	case <-ctx.Done():
		return IngestResult{}, ctx.Err(), true
	}
	select {
	case r := <-it.done:
		return r.res, r.err, true
	case <-ctx.Done():
		// The event may still commit; the sender gets no 2xx and retries,
		// which then answers "duplicate".
		return IngestResult{}, ctx.Err(), true
	case <-b.exited:
		select {
		case r := <-it.done:
			return r.res, r.err, true
		default:
			return IngestResult{}, nil, false
		}
	}
}

// batchTx is what the events of one group commit share: routing plans by
// sourceId and event type, read once per transaction.
type batchTx struct {
	plans map[string]routing.Plan
}

// plan routes ev, reusing a plan made earlier in this transaction. A nil
// batchTx plans every time.
func (bc *batchTx) plan(ctx context.Context, p *routing.Planner, tx *gorm.DB, ev routing.Event) (routing.Plan, error) {
	if bc == nil || ev.SourceID == nil {
		return p.Plan(ctx, tx, ev)
	}
	key := *ev.SourceID + "\x00" + ev.Type
	if plan, ok := bc.plans[key]; ok {
		return plan, nil
	}
	plan, err := p.Plan(ctx, tx, ev)
	if err == nil {
		bc.plans[key] = plan
	}
	return plan, err
}

// revisions is the result of an early revision lookup.
type revisions struct {
	known map[eventKey][]*Event
	err   error
}

// revisionsAhead starts reading the batch's earlier revisions on a
// connection of its own while the transaction begins, so the two round
// trips overlap: a group commit waits for one round trip fewer. Under READ
// COMMITTED the read sees what the same read inside the transaction would,
// and an event another replica commits meanwhile still meets the unique
// constraints (errRaced: each event is retried alone). PostgreSQL only:
// SQLite has one connection, which the transaction holds. Nil means "read
// inside the transaction".
func (b *batcher) revisionsAhead(ctx context.Context, ins []Inbound) <-chan revisions {
	if b.svc.db.Dialector.Name() != "postgres" {
		return nil
	}
	ch := make(chan revisions, 1) // buffered: nobody waits if BEGIN fails
	go func() {
		known, err := loadRevisions(ctx, b.svc.db, ins)
		ch <- revisions{known: known, err: err}
	}()
	return ch
}

func (b *batcher) loop() {
	for {
		select {
		case it := <-b.queue:
			b.take(it)
		case <-b.stop:
			for {
				select {
				case it := <-b.queue:
					b.store(b.fill(it))
				default:
					return
				}
			}
		}
	}
}

// take commits first and what follows it. When no other commit is in
// flight it takes the turn and commits at once; otherwise it collects
// until that commit ends (then takes the turn) or spillAt events wait
// (then commits alongside it).
func (b *batcher) take(first *batchItem) {
	items := []*batchItem{first}
	for {
		select {
		case b.turn <- struct{}{}: // checked first: no commit in flight wins over collecting
			b.storeInTurn(items)
			return
		default:
		}
		if len(items) >= b.spillAt {
			b.store(b.fillUp(items))
			return
		}
		select {
		case b.turn <- struct{}{}:
			b.storeInTurn(items)
			return
		case it := <-b.queue:
			items = append(items, it)
		case <-b.stop:
			b.store(b.fillUp(items))
			return
		}
	}
}

// storeInTurn commits items and what else is pending, then gives the turn back.
func (b *batcher) storeInTurn(items []*batchItem) {
	b.store(b.fillUp(items))
	<-b.turn
}

// fill takes first plus whatever else is already pending, up to max,
// without waiting: under light load a batch is one event and adds no delay.
func (b *batcher) fill(first *batchItem) []*batchItem {
	return b.fillUp([]*batchItem{first})
}

// fillUp adds whatever is already pending to items, up to max.
func (b *batcher) fillUp(items []*batchItem) []*batchItem {
	for len(items) < b.max {
		select {
		case it := <-b.queue:
			items = append(items, it)
		default:
			return items
		}
	}
	return items
}

// commit stores items in one transaction; on a race (or any failure of the
// shared transaction) each live item is retried alone, so one event's
// trouble never decides another's answer.
func (b *batcher) commit(items []*batchItem) {
	live := items[:0]
	for _, it := range items {
		if err := it.ctx.Err(); err != nil {
			it.done <- batchResult{err: err}
			continue
		}
		live = append(live, it)
	}
	if len(live) == 0 {
		return
	}
	ingestBatchSize.Observe(float64(len(live)))
	started := time.Now()
	for _, it := range live {
		ingestCommitWait.Observe(started.Sub(it.queued).Seconds())
	}
	ctx, cancel := context.WithTimeout(context.Background(), batchCommitTimeout)
	defer cancel()
	ins := make([]Inbound, len(live))
	for i, it := range live {
		ins[i] = it.in
	}
	ahead := b.revisionsAhead(ctx, ins)
	var results []IngestResult
	err := b.svc.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var known map[eventKey][]*Event
		var err error
		if ahead != nil {
			r := <-ahead
			known, err = r.known, r.err
		} else {
			known, err = loadRevisions(ctx, tx, ins)
		}
		if err != nil {
			return err
		}
		results, err = b.svc.storeBatch(ctx, tx, ins, known, b.svc.now().UTC())
		return err
	})
	observeCommit(started)
	if err == nil {
		for i, it := range live {
			it.done <- batchResult{res: results[i]}
		}
		return
	}
	if len(live) == 1 && !errors.Is(err, errRaced) {
		live[0].done <- batchResult{err: err}
		return
	}
	for _, it := range live {
		res, err := b.svc.ingestSingle(it.ctx, it.in)
		it.done <- batchResult{res: res, err: err}
	}
}
