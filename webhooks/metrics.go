package webhooks

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"
)

// Metrics are the delivery engine's Prometheus metrics.
type Metrics struct {
	attempts *prometheus.CounterVec
	duration prometheus.Histogram
	lag      prometheus.Histogram
	disabled prometheus.Counter
}

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "switchboard_delivery_attempts_total",
			Help: "Delivery attempts by outcome (delivered, retry, failed, gone)."}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "switchboard_delivery_duration_seconds",
			Help: "Duration of one delivery attempt (request to last byte read).", Buckets: prometheus.DefBuckets}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "switchboard_delivery_lag_seconds",
			Help:    "Time from an event's arrival to its successful delivery.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400}}),
		disabled: prometheus.NewCounter(prometheus.CounterOpts{Name: "switchboard_endpoint_disabled_total",
			Help: "Endpoints disabled automatically (410 Gone or failing too long)."}),
	}
	// Every outcome is exported from the start, at zero, so a rate() or an
	// alert on one that has not happened yet finds its series.
	for _, outcome := range []string{"delivered", "retry", "failed", "gone"} {
		m.attempts.WithLabelValues(outcome)
	}
	if reg != nil {
		reg.MustRegister(m.attempts, m.duration, m.lag, m.disabled)
	}
	return m
}

func (m *Metrics) observeAttempt(kind Kind, res sendResult, status DeliveryStatus, received, now time.Time) {
	outcome := "retry"
	switch {
	case kind == Delivered:
		outcome = "delivered"
	case kind == Gone:
		outcome = "gone"
	case status == DeliveryFailed:
		outcome = "failed"
	}
	m.attempts.WithLabelValues(outcome).Inc()
	if res.duration > 0 {
		m.duration.Observe(res.duration.Seconds())
	}
	if kind == Delivered {
		m.lag.Observe(now.Sub(received).Seconds())
	}
}

func (m *Metrics) endpointDisabled() { m.disabled.Inc() }

// StateCollector reports, at each scrape, the delivery queue's depth by
// River job state and the endpoints by health state, read from the database.
type StateCollector struct {
	db    *gorm.DB
	queue *prometheus.Desc
	eps   *prometheus.Desc
}

// NewStateCollector returns the collector over db; register it next to Metrics.
func NewStateCollector(db *gorm.DB) *StateCollector {
	return &StateCollector{db: db,
		queue: prometheus.NewDesc("switchboard_delivery_queue_depth", "Delivery jobs by River state.", []string{"state"}, nil),
		eps:   prometheus.NewDesc("switchboard_endpoints", "Endpoints by health (healthy, failing, circuit_open, disabled).", []string{"health"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.queue; ch <- c.eps }

// Collect implements prometheus.Collector.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var rows []struct {
		State string
		N     int64
	}
	if c.db.WithContext(ctx).Raw("SELECT state, COUNT(*) AS n FROM river_job WHERE queue = ? GROUP BY state", QueueDeliveries).Scan(&rows).Error == nil {
		// Every state is exported, at zero when no job is in it, so a
		// dashboard or alert finds its series on an idle server too.
		counts := map[string]int64{}
		for _, st := range rivertype.JobStates() {
			counts[string(st)] = 0
		}
		for _, r := range rows {
			counts[r.State] = r.N
		}
		for state, n := range counts {
			ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(n), state)
		}
	}
	rows = nil
	err := c.db.WithContext(ctx).Raw(`SELECT CASE WHEN NOT enabled THEN 'disabled'
		WHEN circuit_open_until IS NOT NULL THEN 'circuit_open'
		WHEN consecutive_failures > 0 THEN 'failing' ELSE 'healthy' END AS state, COUNT(*) AS n
		FROM endpoints GROUP BY 1`).Scan(&rows).Error
	if err == nil {
		counts := map[string]int64{"healthy": 0, "failing": 0, "circuit_open": 0, "disabled": 0}
		for _, r := range rows {
			counts[r.State] = r.N
		}
		for health, n := range counts {
			ch <- prometheus.MustNewConstMetric(c.eps, prometheus.GaugeValue, float64(n), health)
		}
	}
}
