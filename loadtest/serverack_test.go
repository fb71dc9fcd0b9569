package loadtest

import (
	"strconv"
	"strings"
	"testing"
)

// TestServerAckDelta reads two scrapes of the ingest histograms and turns
// them into the phase's means; a target without them gives none.
func TestServerAckDelta(t *testing.T) {
	scrape := func(text string) map[string]histTotal {
		t.Helper()
		m, err := parseIngestMetrics(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	hist := func(name string, sum float64, count int) string {
		return "# TYPE " + name + " histogram\n" +
			name + `_bucket{le="+Inf"} ` + strconv.Itoa(count) + "\n" +
			name + "_sum " + strconv.FormatFloat(sum, 'g', -1, 64) + "\n" +
			name + "_count " + strconv.Itoa(count) + "\n"
	}
	before := scrape(hist(histAck, 1, 100) + hist(histCommitWait, 0.5, 100) + hist(histCommit, 0.4, 10) + hist(histBatch, 100, 10) + "other_total 3\n")
	after := scrape(hist(histAck, 3, 300) + hist(histCommitWait, 1.1, 300) + hist(histCommit, 1.4, 30) + hist(histBatch, 300, 30))
	got := serverAckDelta(before, after)
	want := ServerAck{AckMeanMs: 10, CommitWaitMeanMs: 3, CommitMeanMs: 50, EventsPerCommit: 10}
	if got == nil || *got != want {
		t.Fatalf("serverAckDelta = %+v, want %+v", got, want)
	}
	if got := serverAckDelta(before, before); got != nil {
		t.Errorf("no request in between: %+v, want nil", got)
	}
	if got := serverAckDelta(scrape("up 1\n"), scrape("up 1\n")); got != nil {
		t.Errorf("a target without ingest histograms: %+v, want nil", got)
	}
	if _, err := parseIngestMetrics(strings.NewReader("not metrics {{{\n")); err == nil {
		t.Error("garbage parsed without an error")
	}
}

// TestServerAckPercentiles estimates the server's ack percentiles from the
// histogram's buckets (what changed between two scrapes) and reads the
// share within 10 ms exactly off that bound.
func TestServerAckPercentiles(t *testing.T) {
	histOf := func(name string, le5, le10, le25, count int) string {
		return "# TYPE " + name + " histogram\n" +
			name + `_bucket{le="0.005"} ` + strconv.Itoa(le5) + "\n" +
			name + `_bucket{le="0.01"} ` + strconv.Itoa(le10) + "\n" +
			name + `_bucket{le="0.025"} ` + strconv.Itoa(le25) + "\n" +
			name + `_bucket{le="+Inf"} ` + strconv.Itoa(count) + "\n" +
			name + "_sum 1\n" + name + "_count " + strconv.Itoa(count) + "\n"
	}
	hist := func(le5, le10, le25, count int) string { return histOf(histAck, le5, le10, le25, count) }
	// The commit wait and the commit: 100 each in between, every one within
	// 5 ms (p99 4.95 ms), and every one between 10 and 25 ms (p99 24.85 ms).
	commits := histOf(histCommitWait, 0, 0, 0, 0) + histOf(histCommit, 0, 0, 0, 0)
	commitsAfter := histOf(histCommitWait, 100, 100, 100, 100) + histOf(histCommit, 0, 0, 100, 100)
	before, err := parseIngestMetrics(strings.NewReader(hist(10, 20, 20, 20) + commits))
	if err != nil {
		t.Fatal(err)
	}
	// 100 acks in between: 50 within 5 ms, 45 more within 10 ms, 5 within 25 ms.
	after, err := parseIngestMetrics(strings.NewReader(hist(60, 115, 120, 120) + commitsAfter))
	if err != nil {
		t.Fatal(err)
	}
	got := serverAckDelta(before, after)
	if got == nil {
		t.Fatal("no server account")
	}
	// p50: rank 50 ends the first bucket (0–5 ms); p99: rank 99 is the 4th
	// of the 5 between 10 and 25 ms, 10 + 15·4/5 = 22 ms.
	if got.AckP50Ms != 5 || got.AckP99Ms != 22 || got.AckWithin10msShare != 0.95 {
		t.Errorf("p50 %v, p99 %v, within 10 ms %v; want 5, 22, 0.95", got.AckP50Ms, got.AckP99Ms, got.AckWithin10msShare)
	}
	if got.CommitWaitP99Ms != 4.95 || got.CommitP99Ms != 24.85 {
		t.Errorf("commit wait p99 %v, commit p99 %v; want 4.95 and 24.85", got.CommitWaitP99Ms, got.CommitP99Ms)
	}
	// Past the last finite bound the estimate is that bound.
	beyond, err := parseIngestMetrics(strings.NewReader(hist(60, 115, 120, 220)))
	if err != nil {
		t.Fatal(err)
	}
	if got := serverAckDelta(before, beyond); got == nil || got.AckP99Ms != 25 || got.AckWithin10msShare != 0.475 {
		t.Errorf("tail past the buckets: %+v, want p99 25 and 47.5 %% within 10 ms", got)
	}
}
