package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ServerAck is the server's own account of a phase's acks, from the
// histograms on its /metrics (means over the phase's sending). Beside the
// load tool's ack latency it says where the time went: waiting for a
// group commit, the commit, and the rest (reading, verifying, answering,
// waiting for a CPU on either side).
type ServerAck struct {
	AckMeanMs        float64 `json:"ack_mean_ms"`         // switchboard_ingest_duration_seconds
	CommitWaitMeanMs float64 `json:"commit_wait_mean_ms"` // switchboard_ingest_commit_wait_seconds
	CommitMeanMs     float64 `json:"commit_mean_ms"`      // switchboard_ingest_commit_seconds
	EventsPerCommit  float64 `json:"events_per_commit"`   // switchboard_ingest_batch_events
}

// The histograms ServerAck reads, by what they become.
const (
	histAck        = "switchboard_ingest_duration_seconds"
	histCommitWait = "switchboard_ingest_commit_wait_seconds"
	histCommit     = "switchboard_ingest_commit_seconds"
	histBatch      = "switchboard_ingest_batch_events"
)

// histTotal is a histogram's running sum and count.
type histTotal struct {
	sum   float64
	count uint64
}

// scrapeIngest reads the ingest histograms' totals from baseURL/metrics.
func scrapeIngest(ctx context.Context, baseURL string) (map[string]histTotal, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return parseIngestMetrics(resp.Body)
}

// parseIngestMetrics extracts the ingest histograms from Prometheus' text format.
func parseIngestMetrics(r io.Reader) (map[string]histTotal, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse /metrics: %w", err)
	}
	out := map[string]histTotal{}
	for _, name := range []string{histAck, histCommitWait, histCommit, histBatch} {
		f, ok := families[name]
		if !ok || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetHistogram() == nil {
			continue
		}
		h := f.GetMetric()[0].GetHistogram()
		out[name] = histTotal{sum: h.GetSampleSum(), count: h.GetSampleCount()}
	}
	return out, nil
}

// serverAckDelta turns two scrapes into the phase's means; nil when the
// target has no ingest histograms (a baseline) or saw no request.
func serverAckDelta(before, after map[string]histTotal) *ServerAck {
	// mean is the phase's mean of one histogram, times scale, rounded to
	// hundredths (div, as the report's ratios are).
	mean := func(name string, scale float64) (float64, bool) {
		a, okA := after[name]
		b, okB := before[name]
		if !okA || !okB || a.count <= b.count {
			return 0, false
		}
		return div((a.sum-b.sum)*scale, float64(a.count-b.count)), true
	}
	ack, ok := mean(histAck, 1000)
	if !ok {
		return nil
	}
	s := &ServerAck{AckMeanMs: ack}
	s.CommitWaitMeanMs, _ = mean(histCommitWait, 1000)
	s.CommitMeanMs, _ = mean(histCommit, 1000)
	s.EventsPerCommit, _ = mean(histBatch, 1)
	return s
}
