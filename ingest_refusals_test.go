package main

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestIngestEarlyRefusalsCounted: a webhook refused before the ingest
// handler runs (a body over the limit, a Content-Encoding) still counts in
// switchboard_ingest_requests_total, like every refusal the handler makes.
func TestIngestEarlyRefusalsCounted(t *testing.T) {
	target := testdb.Targets(t)[0]
	base, _ := startServer(t, target.URL)
	tooLarge := `switchboard_ingest_requests_total{outcome="payload_too_large"}`
	unsupported := `switchboard_ingest_requests_total{outcome="unsupported_media_type"}`
	before := ingestCounters(t, base)
	if status, _ := postOversized(t, base, defaultMaxBodyBytes+1); status != 413 {
		t.Fatalf("over the limit: %d, want 413", status)
	}
	if status, _ := postRaw(t, base+"/Webhooks/Boooply/", []byte("x"), map[string]string{"Content-Encoding": "gzip"}); status != 415 {
		t.Fatalf("gzip: %d, want 415", status)
	}
	after := ingestCounters(t, base)
	for _, series := range []string{tooLarge, unsupported} {
		if got := after[series] - before[series]; got != 1 {
			t.Errorf("%s went up by %v, want 1", series, got)
		}
	}
}

// ingestCounters reads the switchboard_ingest_requests_total series of /metrics.
func ingestCounters(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 4<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		series, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !strings.HasPrefix(series, "switchboard_ingest_requests_total{") {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", sc.Text(), err)
		}
		out[series] = v
	}
	return out
}
