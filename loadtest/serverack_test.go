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
