package loadtest

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ServerAck is the server's own account of a phase's acks, from the
// histograms on its /metrics (means over the phase's sending). Beside the
// load tool's ack latency it says where the time went: waiting for a
// group commit, the commit, and the rest (reading, verifying, answering,
// waiting for a CPU on either side). Its percentiles and the share within
// 10 ms say how much of the tail the tool sees is inside the handler and
// how much outside it (the kernel's sockets, either side waiting for a CPU).
type ServerAck struct {
	AckMeanMs float64 `json:"ack_mean_ms"` // switchboard_ingest_duration_seconds
	// AckP50Ms and AckP99Ms are estimated from the histogram's buckets, by
	// linear interpolation inside the bucket (as Prometheus'
	// histogram_quantile): good to about a bucket's width.
	AckP50Ms float64 `json:"ack_p50_ms"`
	AckP99Ms float64 `json:"ack_p99_ms"`
	// AckWithin10msShare is exact: 10 ms is a bucket bound (the ack target).
	AckWithin10msShare float64 `json:"ack_within_10ms_share"`
	CommitWaitMeanMs   float64 `json:"commit_wait_mean_ms"` // switchboard_ingest_commit_wait_seconds
	CommitMeanMs       float64 `json:"commit_mean_ms"`      // switchboard_ingest_commit_seconds
	// CommitWaitP99Ms and CommitP99Ms (buckets, as AckP99Ms) say which part
	// of the ack's tail is waiting for a group commit and which the commit.
	CommitWaitP99Ms float64 `json:"commit_wait_p99_ms"`
	CommitP99Ms     float64 `json:"commit_p99_ms"`
	EventsPerCommit float64 `json:"events_per_commit"` // switchboard_ingest_batch_events
}

// The histograms ServerAck reads, by what they become.
const (
	histAck        = "switchboard_ingest_duration_seconds"
	histCommitWait = "switchboard_ingest_commit_wait_seconds"
	histCommit     = "switchboard_ingest_commit_seconds"
	histBatch      = "switchboard_ingest_batch_events"
)

// ackTargetSeconds is the ack-latency target (issue 8), a bucket bound of
// the server's ack histogram.
const ackTargetSeconds = 0.01

// histTotal is a histogram's running sum, count and cumulative buckets.
type histTotal struct {
	sum     float64
	count   uint64
	buckets []bucket // by upper bound, ascending, without +Inf
}

// bucket is one cumulative histogram bucket: how many observations were ≤ le.
type bucket struct {
	le    float64
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
		t := histTotal{sum: h.GetSampleSum(), count: h.GetSampleCount()}
		for _, b := range h.GetBucket() {
			if !math.IsInf(b.GetUpperBound(), 1) {
				t.buckets = append(t.buckets, bucket{le: b.GetUpperBound(), count: b.GetCumulativeCount()})
			}
		}
		out[name] = t
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
	// pct is the phase's q-quantile of one latency histogram in ms (0 without buckets).
	pct := func(name string, q float64) float64 {
		if delta, n := bucketDelta(before[name], after[name]); n > 0 {
			return round2(quantile(delta, n, q) * 1000)
		}
		return 0
	}
	s := &ServerAck{AckMeanMs: ack, AckP50Ms: pct(histAck, 0.50), AckP99Ms: pct(histAck, 0.99)}
	if delta, n := bucketDelta(before[histAck], after[histAck]); n > 0 {
		for _, b := range delta {
			if b.le == ackTargetSeconds {
				s.AckWithin10msShare = round4(float64(b.count) / float64(n))
			}
		}
	}
	s.CommitWaitMeanMs, _ = mean(histCommitWait, 1000)
	s.CommitMeanMs, _ = mean(histCommit, 1000)
	s.CommitWaitP99Ms, s.CommitP99Ms = pct(histCommitWait, 0.99), pct(histCommit, 0.99)
	s.EventsPerCommit, _ = mean(histBatch, 1)
	return s
}

// bucketDelta is what was observed between two scrapes of one histogram:
// its cumulative buckets and count. n is 0 when the bounds differ.
func bucketDelta(before, after histTotal) ([]bucket, uint64) {
	if len(before.buckets) != len(after.buckets) || after.count <= before.count {
		return nil, 0
	}
	out := make([]bucket, len(after.buckets))
	for i, b := range after.buckets {
		if before.buckets[i].le != b.le {
			return nil, 0
		}
		out[i] = bucket{le: b.le, count: b.count - before.buckets[i].count}
	}
	return out, after.count - before.count
}

// quantile estimates the q-quantile of n observations from their cumulative
// buckets, interpolating linearly inside the bucket it falls in (from 0 for
// the first); past the last bound it is that bound, as histogram_quantile.
func quantile(buckets []bucket, n uint64, q float64) float64 {
	rank := q * float64(n)
	lower, below := 0.0, uint64(0)
	for _, b := range buckets {
		if float64(b.count) >= rank {
			if b.count == below {
				return b.le
			}
			return lower + (b.le-lower)*(rank-float64(below))/float64(b.count-below)
		}
		lower, below = b.le, b.count
	}
	return lower
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round4(v float64) float64 { return math.Round(v*10000) / 10000 }
