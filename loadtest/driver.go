package loadtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Workload is what one phase sends. Rate > 0 is open-loop (each request
// leaves at its scheduled time whether or not earlier ones were answered, and
// latency counts from that scheduled time, so a stalled server can't hide
// its stall: no coordinated omission); otherwise Concurrency workers send
// back to back.
type Workload struct {
	Rate        float64
	Concurrency int
	Duration    time.Duration
	MaxEvents   int64
	Tenants     int
	// SlowTenant (when ≥ 0) receives SlowShare of the events.
	SlowTenant int
	SlowShare  float64
}

// maxInFlight bounds open-loop goroutines; beyond it a request is counted
// as skipped rather than letting the client itself fall over.
const maxInFlight = 20000

// ack is one accepted event, kept to measure its lag at the receiver.
type ack struct {
	code, event string
	tenant      int
	at          time.Time
}

// tally is what a phase's sender observed.
type tally struct {
	sent, acked, duplicate, rejected, errors, skipped atomic.Int64
	bodyBytes                                         atomic.Int64
	latency                                           Timeline // ack latency, by when each request was due
	mu                                                sync.Mutex
	byStatus                                          map[int]int64
	acks                                              []ack
}

// sender posts generated events to one ingest URL.
type sender struct {
	url    string
	gen    *Generator
	client *http.Client
	w      Workload
	t      *tally
	seqOff int64 // keeps meetingCodes unique across phases
}

func newClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second, DisableCompression: true,
	}}
}

// tenantFor spreads events over tenants deterministically, giving the slow
// tenant its share.
func (s *sender) tenantFor(seq int64) int {
	x := splitmix(uint64(seq))
	if s.w.SlowTenant >= 0 && float64(x%10000)/10000 < s.w.SlowShare {
		return s.w.SlowTenant
	}
	n := s.w.Tenants
	if s.w.SlowTenant >= 0 && n > 1 {
		t := int((x >> 20) % uint64(n-1))
		if t >= s.w.SlowTenant {
			t++
		}
		return t
	}
	return int((x >> 20) % uint64(n))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// run sends for the workload's duration and waits for every answer.
func (s *sender) run(ctx context.Context) time.Duration {
	start := time.Now()
	s.t.latency.Start(start)
	if s.w.Rate > 0 {
		s.openLoop(ctx, start)
	} else {
		s.closedLoop(ctx, start)
	}
	return time.Since(start)
}

func (s *sender) openLoop(ctx context.Context, start time.Time) {
	var wg sync.WaitGroup
	var inFlight atomic.Int64
	interval := time.Duration(float64(time.Second) / s.w.Rate)
	end := start.Add(s.w.Duration)
	for i := int64(0); i < s.w.MaxEvents && ctx.Err() == nil; i++ {
		intended := start.Add(time.Duration(i) * interval)
		if !intended.Before(end) {
			break
		}
		if d := time.Until(intended); d > 0 {
			time.Sleep(d)
		}
		if inFlight.Load() >= maxInFlight {
			s.t.skipped.Add(1)
			continue
		}
		inFlight.Add(1)
		wg.Add(1)
		go func(seq int64) {
			defer wg.Done()
			defer inFlight.Add(-1)
			s.post(ctx, seq, intended)
		}(s.seqOff + i)
	}
	wg.Wait()
}

func (s *sender) closedLoop(ctx context.Context, start time.Time) {
	var wg sync.WaitGroup
	var next atomic.Int64
	end := start.Add(s.w.Duration)
	for range max(1, s.w.Concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(end) {
				i := next.Add(1) - 1
				if i >= s.w.MaxEvents {
					return
				}
				s.post(ctx, s.seqOff+i, time.Now())
			}
		}()
	}
	wg.Wait()
}

var duplicateMark = []byte(`"status":"duplicate"`)

// post sends one event and files its outcome.
func (s *sender) post(ctx context.Context, seq int64, intended time.Time) {
	ev := s.gen.Make(seq, s.tenantFor(seq))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(ev.Body))
	if err != nil {
		s.t.errors.Add(1)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Boooply-Signature", ev.Signature)
	req.Header.Set("X-Boooply-Event", ev.Type)
	s.t.sent.Add(1)
	s.t.bodyBytes.Add(int64(len(ev.Body)))
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.errors.Add(1)
		return
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	at := time.Now()
	s.t.latency.Add(intended, at.Sub(intended))
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	if s.t.byStatus == nil {
		s.t.byStatus = map[int]int64{}
	}
	s.t.byStatus[resp.StatusCode]++
	switch {
	case resp.StatusCode/100 != 2:
		s.t.rejected.Add(1)
	case bytes.Contains(answer, duplicateMark):
		s.t.duplicate.Add(1)
	default:
		s.t.acked.Add(1)
		s.t.acks = append(s.t.acks, ack{code: ev.MeetingCode, event: ev.Type, tenant: ev.Tenant, at: at})
	}
}

// statusCounts renders byStatus with string keys for JSON.
func (t *tally) statusCounts() map[string]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]int64{}
	for code, n := range t.byStatus {
		out[strconv.Itoa(code)] = n
	}
	return out
}
