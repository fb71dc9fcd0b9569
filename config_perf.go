package main

import (
	"context"
	"errors"
	"flag"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/webhooks"
)

// PushBackConfig bounds ingest under overload (issue 8): past either limit
// the webhook answers 503 with Retry-After instead of queueing.
type PushBackConfig struct {
	MaxPendingIngest   int // SWITCHBOARD_MAX_PENDING_INGEST; 0 = unbounded
	MaxDeliveryBacklog int // SWITCHBOARD_MAX_DELIVERY_BACKLOG; 0 = unbounded
}

// pushBackFlags are serve's push-back flags.
type pushBackFlags struct{ pending, backlog *int }

func addPushBackFlags(fs *flag.FlagSet) pushBackFlags {
	return pushBackFlags{
		pending: fs.Int("max-pending-ingest", envInt("SWITCHBOARD_MAX_PENDING_INGEST", webhooks.DefaultMaxPendingIngest), "events being stored at once before webhooks get 503 + Retry-After; 0 = unbounded (SWITCHBOARD_MAX_PENDING_INGEST)"),
		backlog: fs.Int("max-delivery-backlog", envInt("SWITCHBOARD_MAX_DELIVERY_BACKLOG", webhooks.DefaultMaxDeliveryBacklog), "deliveries ready and not yet started before webhooks get 503 + Retry-After; 0 = unbounded (SWITCHBOARD_MAX_DELIVERY_BACKLOG)"),
	}
}

func (f pushBackFlags) apply(cfg *Config) error {
	cfg.PushBack = PushBackConfig{MaxPendingIngest: *f.pending, MaxDeliveryBacklog: *f.backlog}
	if cfg.PushBack.MaxPendingIngest < 0 || cfg.PushBack.MaxDeliveryBacklog < 0 {
		return errors.New("max pending ingest and max delivery backlog must be 0 (unbounded) or more")
	}
	return nil
}

// admission is the push-back these settings describe.
func (c PushBackConfig) admission() *webhooks.Admission {
	return webhooks.NewAdmission(c.MaxPendingIngest, c.MaxDeliveryBacklog)
}

// defaultGCPercent is the garbage collector's target when the operator has
// not set GOGC. Ingest and delivery allocate about 125 KB per event, mostly
// bodies passing through (copied out of the request, encoded for
// PostgreSQL, read back to deliver) over a live heap of a few tens of MB,
// so Go's default of 100 collects dozens of times a second under load. At
// 200, on a 2-core machine at 1,500 events/s: server CPU per event
// 0.55–0.57 → 0.47–0.48 ms, RSS 108–111 → 125–135 MB; 300 saved no more
// and reached 171 MB (README, Performance).
const defaultGCPercent = 200

// tuneGC applies defaultGCPercent unless GOGC is set, and reports whether
// it did.
func tuneGC() bool {
	if _, set := os.LookupEnv("GOGC"); set {
		return false
	}
	debug.SetGCPercent(defaultGCPercent)
	return true
}

// memoryBudget is the soft memory limit (the Go runtime's own memory: heap,
// stacks and metadata, not the binary) Switchboard keeps to when it chose
// GOGC itself and the operator set no GOMEMLIMIT. GOGC=200 lets the heap
// grow to three times what is live, most under overload: at 1,500 events/s
// with 10,000 tenants that took RSS to 246 MB, above issue 8's 200 MB.
const memoryBudget = 150 << 20

// memoryHeadroom is what the runtime holds beside the heap (goroutine
// stacks, GC metadata) in the limit that follows a large live heap.
const memoryHeadroom = 32 << 20

// memoryLimitFor is the soft limit for a live heap: the budget, raised as
// the live heap grows so the collector never runs more often than Go's
// default (GOGC=100) would. A fixed limit below what is live would make it
// run without pause.
func memoryLimitFor(live uint64) int64 {
	limit := max(uint64(memoryBudget), 2*live+memoryHeadroom)
	return int64(min(limit, math.MaxInt64))
}

// governsMemory reports whether Switchboard sets the soft memory limit: only
// when it set GOGC itself (tuneGC) and the operator set no GOMEMLIMIT.
func governsMemory() bool {
	_, gogc := os.LookupEnv("GOGC")
	_, limit := os.LookupEnv("GOMEMLIMIT")
	return !gogc && !limit
}

// governMemory keeps the soft memory limit at memoryLimitFor(live heap),
// read every interval, until ctx ends; then it restores the limit it found.
func governMemory(ctx context.Context, interval time.Duration) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			debug.SetMemoryLimit(memoryLimitFor(sample[0].Value.Uint64()))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// memoryGovernor runs one governMemory per process however many servers
// share it (tests start several): the first start begins it and the last
// stop ends it, restoring the limit found before the first.
type memoryGovernor struct {
	mu     sync.Mutex
	users  int
	cancel context.CancelFunc
	done   chan struct{}
}

// governor is the process's memoryGovernor.
var governor memoryGovernor

// start joins the governor, beginning it when nobody else has; the returned
// stop leaves it, ending it after the last.
func (g *memoryGovernor) start(interval time.Duration) (stop func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.users == 0 {
		ctx, cancel := context.WithCancel(context.Background())
		g.cancel, g.done = cancel, make(chan struct{})
		go func(done chan struct{}) {
			defer close(done)
			governMemory(ctx, interval)
		}(g.done)
	}
	g.users++
	var once sync.Once
	return func() { once.Do(g.leave) }
}

func (g *memoryGovernor) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.users--
	if g.users == 0 {
		g.cancel()
		<-g.done // the found limit is back before stop returns
	}
}
