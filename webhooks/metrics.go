package webhooks

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
