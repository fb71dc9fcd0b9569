package main

import (
	"errors"
	"flag"

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
