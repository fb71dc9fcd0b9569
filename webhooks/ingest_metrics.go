package webhooks

import (
	"errors"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/switchboard-gw/switchboard/problem"
)

// latencyBuckets are the ack-latency histograms' buckets, in seconds: fine
// up to 25 ms, where the ack target (10 ms) and its tail are, so
// histogram_quantile (and the load tool's server-side percentiles) lands
// within a millisecond or two there.
var latencyBuckets = []float64{.0005, .001, .002, .003, .004, .005, .0075, .01, .0125, .015, .02, .025, .05, .1, .25, .5, 1, 2.5}

// Ingest metrics, registered on Prometheus' default registry (served at /metrics).
var (
	ingestRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_ingest_requests_total",
		Help: "Inbound webhook requests by outcome (accepted, duplicate, or the reason class of a refusal).",
	}, []string{"outcome"})
	ingestDuration = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "switchboard_ingest_duration_seconds",
		Help:    "Time from reading an inbound webhook to answering it.",
		Buckets: latencyBuckets,
	})
	ingestBatchSize = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "switchboard_ingest_batch_events",
		Help:    "Events committed together by the group-commit writer.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
	})
	// The two parts of an ack's time that the database decides: waiting for
	// a group commit to take the event, and that commit. What is left of
	// switchboard_ingest_duration_seconds is reading, verifying, answering
	// and waiting for a CPU.
	ingestCommitWait = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "switchboard_ingest_commit_wait_seconds",
		Help:    "Time an event waited for its group commit to start.",
		Buckets: latencyBuckets,
	})
	ingestCommit = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "switchboard_ingest_commit_seconds",
		Help:    "Time of one ingest transaction (a group commit, or an event stored alone), from BEGIN to COMMIT's answer.",
		Buckets: append(slices.Clone(latencyBuckets), 5, 10), // up to batchCommitTimeout
	})
)

// observeCommit records one ingest transaction's time.
func observeCommit(started time.Time) { ingestCommit.Observe(time.Since(started).Seconds()) }

// Outcome labels of switchboard_ingest_requests_total.
const (
	outcomeAccepted  = "accepted"
	outcomeDuplicate = "duplicate"
)

// init exports the outcomes a sender causes, at zero, so an alert on
// refusals (bad_signature, …) finds its series before the first one.
func init() {
	for _, outcome := range []string{outcomeAccepted, outcomeDuplicate} {
		ingestRequests.WithLabelValues(outcome)
	}
	for _, e := range []error{ErrMissingSignature, ErrBadSignature, ErrMissingBearer, ErrBadBearer, ErrUnknownSource, ErrNoSecret} {
		ingestRequests.WithLabelValues(reasonCode(e))
	}
	// What Switchboard answers itself: 503 (push-back or a store that
	// failed; Boooply retries) and the other refusals before the handler.
	for _, code := range []problem.Code{problem.CodeTooLarge, problem.CodeUnavailable, problem.CodeUnsupportedType} {
		ingestRequests.WithLabelValues(string(code))
	}
}

// outcomeOf names the reason class of a refused request for the metric.
func outcomeOf(err error) string {
	for _, e := range []error{ErrMissingSignature, ErrBadSignature, ErrMissingBearer, ErrBadBearer, ErrUnknownSource, ErrNoSecret} {
		if errors.Is(err, e) {
			return reasonCode(e)
		}
	}
	if p, ok := problem.As(err); ok {
		return string(p.Code)
	}
	return "error"
}

// reasonCode turns a verification error into a stable snake_case word.
func reasonCode(err error) string {
	switch {
	case errors.Is(err, ErrMissingSignature):
		return "missing_signature"
	case errors.Is(err, ErrBadSignature):
		return "bad_signature"
	case errors.Is(err, ErrMissingBearer):
		return "missing_bearer"
	case errors.Is(err, ErrBadBearer):
		return "bad_bearer"
	case errors.Is(err, ErrUnknownSource):
		return "unknown_source"
	case errors.Is(err, ErrNoSecret):
		return "no_secret"
	}
	return "error"
}

// CountRefusedEarly counts an inbound webhook that main refused before the
// handler ran (a body over the limit, a Content-Encoding), so every answer
// Boooply gets is in switchboard_ingest_requests_total: a 413 loses the
// event once Boooply stops retrying, and support must be able to see it.
func CountRefusedEarly(code problem.Code) {
	ingestRequests.WithLabelValues(string(code)).Inc()
}

func observe(outcome string, started time.Time) {
	ingestRequests.WithLabelValues(outcome).Inc()
	ingestDuration.Observe(time.Since(started).Seconds())
}
