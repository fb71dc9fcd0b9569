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

// outcomeError is the switchboard_ingest_requests_total outcome of a
// refusal that is neither a verification error nor a problem error: admit
// returns none today, but outcomeOf can say it. The other outcomes are the
// IngestStatus of a stored event, reasonCode of a verification error and
// a problem error's code.
const outcomeError = "error"

// verifyErrors are the verification failures (401), each its own outcome
// (reasonCode).
var verifyErrors = []error{ErrMissingSignature, ErrBadSignature, ErrMissingBearer, ErrBadBearer, ErrUnknownSource, ErrNoSecret}

// ingestOutcomes are every outcome switchboard_ingest_requests_total can
// count, exported at zero from the start so a rate() or an alert on one
// (bad_signature, bad_request, …) finds its series before the first one.
// TestIngestOutcomesExported derives the outcomes from the code (what
// handleIngest observes, what admit and its callees return, what main
// counts before the handler) and fails when one is missing here.
var ingestOutcomes = func() []string {
	out := []string{string(Accepted), string(Duplicate), outcomeError}
	for _, e := range verifyErrors {
		out = append(out, reasonCode(e))
	}
	// A body the handler can't take (400: not JSON, a field missing, a
	// header contradicting the body), and what Switchboard answers itself:
	// 503 (push-back, secrets not loaded, a store that failed; Boooply
	// retries) and the refusals before the handler (413, 415).
	for _, code := range []problem.Code{problem.CodeBadRequest, problem.CodeUnavailable, problem.CodeTooLarge, problem.CodeUnsupportedType} {
		out = append(out, string(code))
	}
	return out
}()

func init() {
	for _, outcome := range ingestOutcomes {
		ingestRequests.WithLabelValues(outcome)
	}
}

// outcomeOf names the reason class of a refused request for the metric.
func outcomeOf(err error) string {
	for _, e := range verifyErrors {
		if errors.Is(err, e) {
			return reasonCode(e)
		}
	}
	if p, ok := problem.As(err); ok {
		return string(p.Code)
	}
	return outcomeError
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
	return outcomeError
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
