package chaos

import (
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"
	"time"
)

// tokenRE finds the load client's meetingCode in whatever body a receiver gets.
var tokenRE = regexp.MustCompile(`chaos-[0-9a-f]{8}-[0-9]+`)

// behaviour decides how a receiver answers one request; it returns false
// when it answered with a failure (so the body does not count as received).
type behaviour func(w http.ResponseWriter, r *http.Request) bool

// healthy answers 204.
func healthy(w http.ResponseWriter, _ *http.Request) bool {
	w.WriteHeader(http.StatusNoContent)
	return true
}

// slow answers 204 after d.
func slow(d time.Duration) behaviour {
	return func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusNoContent)
		return true
	}
}

// sink is a loopback receiver standing in for a tenant's ATS. Every body it
// accepts is recorded in the ledger by its token.
type sink struct {
	*httptest.Server
	hits, accepted atomic.Int64
}

func newSink(t testing.TB, led *ledger, b behaviour) *sink {
	s := &sink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		s.hits.Add(1)
		if err != nil || !b(w, r) {
			return
		}
		s.accepted.Add(1)
		if tok := tokenRE.Find(body); tok != nil {
			led.receive(string(tok))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// failRandomly answers 500 with probability p, else 204.
func failRandomly(p float64) behaviour {
	return func(w http.ResponseWriter, _ *http.Request) bool {
		if rand.Float64() < p {
			http.Error(w, "random failure", http.StatusInternalServerError)
			return false
		}
		w.WriteHeader(http.StatusNoContent)
		return true
	}
}

// hang never answers; it returns when the caller gives up.
func hang(w http.ResponseWriter, r *http.Request) bool {
	<-r.Context().Done()
	return false
}

// resetConn drops the connection with a TCP reset instead of answering.
func resetConn(w http.ResponseWriter, _ *http.Request) bool {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			conn.Close()
		}
	}
	return false
}

// flap is healthy and failing (503) in alternating periods.
func flap(period time.Duration) behaviour {
	start := time.Now()
	return func(w http.ResponseWriter, _ *http.Request) bool {
		if (time.Since(start)/period)%2 == 1 {
			http.Error(w, "flapping", http.StatusServiceUnavailable)
			return false
		}
		w.WriteHeader(http.StatusNoContent)
		return true
	}
}
