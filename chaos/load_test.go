package chaos

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The load client is deliberately small and bounded: a fixed rate, a cap on
// events and on time. It marks every event with a unique meetingCode (the
// token) so receivers can say which acked events arrived and how often.
// When the project's load tool (loadtest/) lands, runLoad is the one place
// to call it from.

// sampleTemplate is Boooply's scores sample; its meetingCode and sourceId
// are replaced per event.
var sampleTemplate = func() []byte {
	b, err := os.ReadFile("../webhooks/samples/scores.json")
	if err != nil {
		panic(err)
	}
	return b
}()

// eventBody returns a signed-ready scores event for token and sourceID.
func eventBody(token, sourceID string) []byte {
	b := bytes.Replace(sampleTemplate, []byte("Boooply-AI-1234567890"), []byte(token), 1)
	return bytes.Replace(b, []byte(`"org_7234567890"`), []byte(`"`+sourceID+`"`), 1)
}

// sign returns the hex HMAC-SHA256 of body under the chaos webhook secret.
func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(webhookSecret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// loadSpec bounds one load run.
type loadSpec struct {
	base      func() string // read per request: replicas may move
	sources   []string      // sourceIds, used round-robin
	rate      int           // events per second
	maxEvents int
	maxTime   time.Duration
}

// loadStats counts what the load client saw.
type loadStats struct {
	Sent, Acked, Unavailable, Refused, TransportErrors, Other atomic.Int64
}

// runLoad posts events at spec.rate until maxEvents, maxTime or ctx ends,
// counting into st and recording every 2xx in led. It returns when all
// requests have finished.
func runLoad(ctx context.Context, spec loadSpec, led *ledger, st *loadStats) {
	ctx, cancel := context.WithTimeout(ctx, spec.maxTime)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}
	tick := time.NewTicker(time.Second / time.Duration(spec.rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	for i := 0; i < spec.maxEvents; i++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
		token := led.newToken()
		source := spec.sources[i%len(spec.sources)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			postOne(client, spec.base(), token, source, st, led)
		}()
	}
	wg.Wait()
}

func postOne(client *http.Client, base, token, source string, st *loadStats, led *ledger) {
	body := eventBody(token, source)
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/boooply", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Boooply-Signature", sign(body))
	req.Header.Set("Authorization", authValue) // must never reach a log
	st.Sent.Add(1)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		st.TransportErrors.Add(1)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		st.Acked.Add(1)
		led.ack(token, source, start)
	case resp.StatusCode == http.StatusServiceUnavailable:
		st.Unavailable.Add(1)
	case resp.StatusCode/100 == 4:
		st.Refused.Add(1)
	default:
		st.Other.Add(1)
	}
}

// ledger joins what the load client got acked with what receivers got.
type ledger struct {
	run string
	seq atomic.Int64

	mu      sync.Mutex
	acked   map[string]time.Time // token -> when the 2xx arrived
	sentAt  map[string]time.Time // token -> when its request was sent
	source  map[string]string    // token -> sourceId
	ackLat  []time.Duration
	got     map[string]int       // token -> times received
	firstAt map[string]time.Time // token -> first receipt
}

func newLedger() *ledger {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &ledger{run: hex.EncodeToString(b[:]), acked: map[string]time.Time{}, sentAt: map[string]time.Time{}, source: map[string]string{},
		got: map[string]int{}, firstAt: map[string]time.Time{}}
}

func (l *ledger) newToken() string {
	return fmt.Sprintf("chaos-%s-%d", l.run, l.seq.Add(1))
}

func (l *ledger) ack(token, source string, sentAt time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.acked[token] = now
	l.sentAt[token] = sentAt
	l.source[token] = source
	l.ackLat = append(l.ackLat, now.Sub(sentAt))
}

// ackedWithin counts 2xx answers to requests sent after from that arrived
// before to: during an outage there must be none.
func (l *ledger) ackedWithin(from, to time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for token, at := range l.acked {
		if l.sentAt[token].After(from) && at.Before(to) {
			n++
		}
	}
	return n
}

func (l *ledger) receive(token string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got[token]++
	if _, ok := l.firstAt[token]; !ok {
		l.firstAt[token] = time.Now()
	}
}

// tally is the outcome of a run at the receivers.
type tally struct {
	Acked, Delivered, Duplicates, ExtraCopies, Lost int
	Missing                                         []string `json:"-"`
}

func (l *ledger) tally() tally {
	l.mu.Lock()
	defer l.mu.Unlock()
	var t tally
	for token := range l.acked {
		t.Acked++
		switch n := l.got[token]; {
		case n == 0:
			t.Lost++
			t.Missing = append(t.Missing, token)
		case n > 1:
			t.Duplicates++
			t.ExtraCopies += n - 1
			t.Delivered++
		default:
			t.Delivered++
		}
	}
	return t
}

// waitDrained waits until every acked event reached a receiver or d passes.
func (l *ledger) waitDrained(d time.Duration) (tally, time.Duration) {
	start := time.Now()
	waitUntil(d, func() bool { return l.tally().Lost == 0 })
	return l.tally(), time.Since(start)
}

// lags returns ack→first receipt for acked events of the given sources.
func (l *ledger) lags(sources map[string]bool) []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []time.Duration
	for token, at := range l.acked {
		if first, ok := l.firstAt[token]; ok && sources[l.source[token]] {
			out = append(out, max(0, first.Sub(at)))
		}
	}
	return out
}

// lostOf counts acked events of the given sources that never arrived.
func (l *ledger) lostOf(sources map[string]bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for token := range l.acked {
		if sources[l.source[token]] && l.got[token] == 0 {
			n++
		}
	}
	return n
}

// requireNoLoss fails t when an acked event never reached a receiver.
func requireNoLoss(t *testing.T, tl tally) {
	t.Helper()
	if tl.Lost > 0 {
		n := min(len(tl.Missing), 10)
		t.Errorf("%d of %d acked events never reached a receiver, e.g. %v", tl.Lost, tl.Acked, tl.Missing[:n])
	}
	if tl.Acked == 0 {
		t.Error("no event was acked: the run proves nothing")
	}
}
