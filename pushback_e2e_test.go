package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// TestPushBackE2E runs the real server with one delivery worker and a
// receiver that holds every request: deliveries pile up, and once the
// backlog passes --max-delivery-backlog the webhook answers 503 with
// Retry-After. Every event answered 200 is on disk; none answered 503 is.
// When the receiver lets go, delivery catches up and ingest takes events again.
func TestPushBackE2E(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			release, holding := make(chan struct{}), make(chan struct{})
			var once, held sync.Once
			let := func() { once.Do(func() { close(release) }) }
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				held.Do(func() { close(holding) })
				select {
				case <-release:
				case <-r.Context().Done():
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			t.Cleanup(recv.Close)
			base, _ := startServer(t, target.URL, "--delivery-workers", "1", "--max-delivery-backlog", "3", "--delivery-timeout", "30s")
			t.Cleanup(let) // runs before the server stops
			runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints",
				"--name", "Slow", "--source-id", "org_push", "--endpoint", recv.URL+"/slow")
			sample, err := webhooks.Sample("interview.scores")
			if err != nil {
				t.Fatal(err)
			}
			event := func(i int) []byte {
				b := bytes.Replace(sample, []byte("Boooply-AI-1234567890"), fmt.Appendf(nil, "push-%d", i), 1)
				return bytes.Replace(b, []byte(`"sourceId":"org_7234567890"`), []byte(`"sourceId":"org_push"`), 1)
			}
			if !bytes.Contains(event(0), []byte("org_push")) {
				t.Fatal("sample has no sourceId to replace")
			}
			db := testdb.Open(t, target.URL)
			acked, refused := 0, 0
			var retryAfter string
			for i := 0; i < 2000 && refused == 0; i++ { // bounded: the backlog is counted every 250 ms
				body := event(i)
				req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/boooply", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Boooply-Signature", hmacHex(body))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					acked++
					if acked == 1 {
						// The one worker takes the first delivery and the
						// receiver holds it: the backlog is what comes after.
						select {
						case <-holding:
						case <-time.After(30 * time.Second):
							t.Fatal("the first delivery never reached the receiver")
						}
					}
				case http.StatusServiceUnavailable:
					refused, retryAfter = 1, resp.Header.Get("Retry-After")
				default:
					t.Fatalf("event %d: status %d", i, resp.StatusCode)
				}
			}
			if acked < 4 { // one held by the receiver, then the backlog of 3
				t.Errorf("acked %d before the first 503, want at least 4", acked)
			}
			if refused == 0 || retryAfter == "" {
				t.Fatalf("after %d acks: no 503 with Retry-After (got %q)", acked, retryAfter)
			}
			if n := countRows(t, db, "SELECT COUNT(*) FROM events WHERE meeting_code LIKE 'push-%'"); n != int64(acked) {
				t.Errorf("events stored = %d, want the %d acked (the refused one is not stored)", n, acked)
			}
			let()
			waitFor(t, "ingest to take events again", func() bool {
				body := event(100000 + acked)
				status, ans := post(t, base, body, hmacHex(body))
				return status == http.StatusOK && strings.Contains(fmt.Sprint(ans["status"]), "accepted")
			})
		})
	}
}
