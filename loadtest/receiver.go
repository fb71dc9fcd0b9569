package loadtest

import (
	"context"
	"crypto/hmac"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"

	"github.com/switchboard-gw/switchboard/webhooks"
)

// Behaviour is how a receiver path answers, standing in for one kind of ATS.
type Behaviour int

// The receiver behaviours.
const (
	Healthy Behaviour = iota // 204 at once (or 500 at the receiver's fail rate)
	Slow                     // 204 after the receiver's slow delay
	Hang                     // never answers; the request ends only when the sender gives up
)

// Arrival is what a receiver knows of one logical event (meetingCode + event).
type Arrival struct {
	First  time.Time // first successful arrival
	Copies int       // successful arrivals, 1 when delivered exactly once
}

// Receiver is a loopback HTTP server standing in for tenants' ATS endpoints.
// Tenant i posts to /t/i; its behaviour can change while the run goes on.
type Receiver struct {
	URL       string
	FailRate  float64       // share of healthy answers that are 500 instead
	SlowDelay time.Duration // how long Slow paths take

	srv      *http.Server
	closing  chan struct{}
	slowOne  atomic.Int64 // tenant with the Slow/Hang behaviour, -1 for none
	slowMode atomic.Int64
	mu       sync.Mutex
	got      map[string]*Arrival
	ids      map[string]int // webhook-id -> successful arrivals
	hits     atomic.Int64
	keys     atomic.Pointer[[][]byte] // tenant i's signing key; nil: not checked
	badSigs  atomic.Int64
}

// StartReceiver listens on a free loopback port until Close.
func StartReceiver() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{URL: "http://" + ln.Addr().String(), closing: make(chan struct{}),
		got: map[string]*Arrival{}, ids: map[string]int{}, SlowDelay: 2 * time.Second}
	r.slowOne.Store(-1)
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln) //nolint:errcheck // ends with Close
	return r, nil
}

// EndpointURL is where tenant i's endpoint points.
func (r *Receiver) EndpointURL(i int) string { return r.URL + "/t/" + strconv.Itoa(i) }

// SetSlowTenant gives tenant i behaviour b (Slow or Hang); Healthy turns it back.
func (r *Receiver) SetSlowTenant(i int, b Behaviour) {
	r.slowMode.Store(int64(b))
	r.slowOne.Store(int64(i))
}

func (r *Receiver) behaviour(tenant int) Behaviour {
	if int64(tenant) == r.slowOne.Load() {
		return Behaviour(r.slowMode.Load())
	}
	return Healthy
}

// ServeHTTP records the delivery (only when it answers 2xx) and answers per behaviour.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.hits.Add(1)
	body, _ := io.ReadAll(req.Body)
	tenant, _ := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/t/"))
	switch r.behaviour(tenant) {
	case Hang:
		select {
		case <-req.Context().Done():
		case <-r.closing:
		}
		return
	case Slow:
		select {
		case <-time.After(r.SlowDelay):
		case <-r.closing:
			return
		}
	default:
		if r.FailRate > 0 && rand.Float64() < r.FailRate {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
	}
	r.record(req.Header, body, time.Now())
	r.checkSignature(tenant, req.Header, body)
	w.WriteHeader(http.StatusNoContent)
}

// SetSigningKeys gives the receiver each tenant's endpoint signing key
// (index i is tenant i): from then on every delivery is verified as an
// ATS would, and one without a valid signature is counted.
func (r *Receiver) SetSigningKeys(keys [][]byte) { r.keys.Store(&keys) }

// BadSignatures counts deliveries that carried no valid signature.
func (r *Receiver) BadSignatures() int64 { return r.badSigs.Load() }

func (r *Receiver) checkSignature(tenant int, h http.Header, body []byte) {
	keys := r.keys.Load()
	if keys == nil {
		return
	}
	if tenant < 0 || tenant >= len(*keys) || !validSignature((*keys)[tenant], h, body) {
		r.badSigs.Add(1)
	}
}

// validSignature checks a Standard Webhooks signature: one of the
// webhook-signature values is v1 HMAC-SHA256 of id.timestamp.body.
func validSignature(key []byte, h http.Header, body []byte) bool {
	id := h.Get("webhook-id")
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if len(key) == 0 || id == "" || err != nil {
		return false
	}
	want := []byte(webhooks.Sign(key, id, ts, body))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), want) {
			return true
		}
	}
	return false
}

// record keys the arrival by meetingCode+event (headers first, the body when a
// mapping removed them) and counts repeats of the same webhook-id.
func (r *Receiver) record(h http.Header, body []byte, at time.Time) {
	code, event := h.Get("X-Boooply-Meeting-Id"), h.Get("X-Switchboard-Event")
	if code == "" || event == "" {
		code, event = gjson.GetBytes(body, "data.meetingCode").String(), gjson.GetBytes(body, "event").String()
	}
	key := code + "|" + event
	r.mu.Lock()
	defer r.mu.Unlock()
	if id := h.Get("webhook-id"); id != "" {
		r.ids[id]++
	}
	if a, ok := r.got[key]; ok {
		a.Copies++
		return
	}
	r.got[key] = &Arrival{First: at, Copies: 1}
}

// Lookup returns the arrival of meetingCode+event.
func (r *Receiver) Lookup(code, event string) (Arrival, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.got[code+"|"+event]
	if !ok {
		return Arrival{}, false
	}
	return *a, true
}

// Counts returns distinct events received, extra copies by meetingCode+event,
// and extra copies by webhook-id.
func (r *Receiver) Counts() (distinct, dupByKey, dupByID int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.got {
		dupByKey += a.Copies - 1
	}
	for _, n := range r.ids {
		dupByID += n - 1
	}
	return len(r.got), dupByKey, dupByID
}

// Hits is every request received, whatever it was answered.
func (r *Receiver) Hits() int64 { return r.hits.Load() }

// Close releases hanging requests and stops the server.
func (r *Receiver) Close() error {
	close(r.closing)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.srv.Shutdown(ctx)
}
