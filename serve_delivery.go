package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// newMetricsRegistry is the process's Prometheus registry: Go runtime,
// process, and the delivery engine's database-backed gauges (held events,
// oldest pending delivery, queue depth, endpoints by health). They read the
// database only while their Run goes (startOpsGauges); a scrape never does.
func newMetricsRegistry(db *database.DB) (*prometheus.Registry, *webhooks.OpsGauges) {
	reg := prometheus.NewRegistry()
	ops := webhooks.NewOpsGauges(db.Gorm, db.Ready, time.Now)
	reg.MustRegister(ops)
	return reg, ops
}

// startOpsGauges refreshes ops from the database every interval
// (SWITCHBOARD_METRICS_REFRESH), in the background: never on a scrape or
// an ingest. It runs until stop is called.
func startOpsGauges(ops *webhooks.OpsGauges, interval time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ops.Run(ctx, interval, log) }()
	return func() { cancel(); <-done }
}

// mountMetrics serves /metrics in Prometheus' text format. It carries no
// tenant data (counts only); restrict it at the network edge if needed.
func mountMetrics(app *fiber.App, reg *prometheus.Registry) {
	// The default registry carries the Go and process collectors and the
	// ingest metrics (promauto); reg the delivery engine's.
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(prometheus.Gatherers{prometheus.DefaultGatherer, reg}, promhttp.HandlerOpts{})))
}

// addRetention registers the payload retention worker and the sweep of
// discarded delivery jobs, and returns their periodic jobs (the sweep's
// every 5 minutes; retention's hourly, none when retention is off).
func addRetention(workers *river.Workers, db *database.DB, cfg Config, log *slog.Logger) []*river.PeriodicJob {
	days := cfg.Delivery.RetentionDays
	river.AddWorker(workers, webhooks.NewRetentionWorker(db.Gorm, time.Duration(days)*24*time.Hour, log))
	// Deliveries whose job River discarded unseen are failed, not left pending.
	river.AddWorker(workers, webhooks.NewSweepDiscardedWorker(db.Gorm, log))
	sweep := river.NewPeriodicJob(river.PeriodicInterval(5*time.Minute),
		func() (river.JobArgs, *river.InsertOpts) {
			return webhooks.SweepDiscardedArgs{}, &river.InsertOpts{Queue: webhooks.QueueDeliveries}
		},
		&river.PeriodicJobOpts{RunOnStart: true})
	if days == 0 {
		return []*river.PeriodicJob{sweep}
	}
	return []*river.PeriodicJob{sweep, river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) {
			return webhooks.RetentionArgs{}, &river.InsertOpts{Queue: webhooks.QueueDeliveries}
		},
		&river.PeriodicJobOpts{RunOnStart: true})}
}

// rescueStuckAfter is when River hands a running job of a dead process to
// another: after the longest possible attempt plus a margin, unless set.
func rescueStuckAfter(cfg Config) time.Duration {
	if cfg.Delivery.RescueStuckAfter > 0 {
		return cfg.Delivery.RescueStuckAfter
	}
	return max(cfg.DeliveryTimeout, time.Minute) + time.Minute
}

// addProbes registers the health-probe worker and returns its periodic job
// (none when SWITCHBOARD_PROBE_INTERVAL is 0): endpoints disabled
// automatically come back, with what failed meanwhile, once their
// probe_url answers 2xx.
func addProbes(workers *river.Workers, db *database.DB, cfg Config, policy webhooks.RetryPolicy, deliveries *webhooks.Worker, log *slog.Logger) []*river.PeriodicJob {
	river.AddWorker(workers, webhooks.NewProbeWorker(db.Gorm, deliveries, policy, log))
	if cfg.Delivery.ProbeInterval == 0 {
		return nil
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.Delivery.ProbeInterval),
		func() (river.JobArgs, *river.InsertOpts) {
			return webhooks.ProbeArgs{}, &river.InsertOpts{Queue: webhooks.QueueDeliveries}
		}, nil)}
}
