package chaos

import (
	"io"
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
