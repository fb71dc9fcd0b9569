package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/testdb"
)

// BenchmarkAckLoad drives the real server over loopback HTTP with an open
// loop of signed, distinct events at a fixed rate (1,000/s for 5 s, bounded)
// and reports ack latency percentiles. It runs on PostgreSQL when
// SWITCHBOARD_TEST_POSTGRES_URL is set (the production target), else SQLite.
// SWITCHBOARD_LOAD_RATE changes the rate (1–5000 events/s):
//
//	go test -run XXX -bench AckLoad -benchtime 1x .
func BenchmarkAckLoad(b *testing.B) {
	const seconds = 5
	rate := 1000
	if r, err := strconv.Atoi(os.Getenv("SWITCHBOARD_LOAD_RATE")); err == nil && r >= 1 && r <= 5000 {
		rate = r
	}
	targets := testdb.Targets(b)
	target := targets[len(targets)-1]
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer sink.Close()
	// One endpoint takes the whole rate here; the default cap of 8 attempts
	// in flight per endpoint (isolation among many) can't deliver 1,000/s to
	// one endpoint, and the backlog's push-back would answer 503.
	base, _ := startServer(b, target.URL, "--endpoint-max-concurrency", "64")
	var out bytes.Buffer
	if err := run(b.Context(), []string{"tenants", "create", "--database-url", target.URL, "--allow-private-endpoints",
		"--name", "Load", "--source-id", "org_load", "--endpoint", sink.URL + "/sink"}, &out); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512}}
	total := rate * seconds
	lat := make([]time.Duration, total)
	var failures sync.Map
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	b.ResetTimer()
	for i := range total {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := []byte(fmt.Sprintf(`{"event":"interview.scores","data":{"meetingCode":"load-%d","sourceId":"org_load","overallRating":3,"recommendation":"PASS","scores":{"overall":72},"timestamp":"2026-03-21T18:35:00.000Z"}}`, i))
			req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/boooply", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Boooply-Signature", hmacHex(body))
			start := time.Now()
			resp, err := client.Do(req)
			lat[i] = time.Since(start)
			if err != nil {
				failures.Store(i, err.Error())
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failures.Store(i, resp.Status)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	nfail := 0
	failures.Range(func(_, v any) bool {
		if nfail++; nfail <= 3 {
			b.Logf("not acknowledged: %v", v)
		}
		return true
	})
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max_ms")
	b.ReportMetric(float64(nfail), "failed")
	b.Logf("%s: %d events at %d/s: p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d not acknowledged", target.Name, total, rate, pct(0.5), pct(0.99), float64(lat[len(lat)-1].Microseconds())/1000, nfail)
}
