package main

import (
	"errors"
	"flag"
	"os"
	"runtime/debug"

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
