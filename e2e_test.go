package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

const (
	testSecret = "whsec_test_secret"
	testKey    = "jDLh3evmDAXUsUBQbHAaWNgOKWgsEh3jRPnychVJku8="
)

// syncBuffer collects a server's log while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listenRE = regexp.MustCompile(`"msg":"Switchboard is listening.","addr":"([^"]+)"`)

// startServer runs `switchboard serve` in-process on a free loopback port
// and returns its base URL and log. It stops when t ends.
func startServer(t testing.TB, dbURL string, extra ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--database-url", dbURL,
		"--webhook-secret", testSecret, "--secret-key", testKey, "--allow-private-endpoints"}, extra...)
	done := make(chan struct{})
	var serveErr error
	go func() { serveErr = run(ctx, args, logs); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
			if serveErr != nil {
				t.Errorf("serve returned %v", serveErr)
			}
		case <-time.After(40 * time.Second):
			t.Errorf("serve did not stop")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := listenRE.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1], logs
		}
		select {
		case <-done:
			t.Fatalf("serve exited early: %v\n%s", serveErr, logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server did not start:\n%s", logs)
	return "", nil
}

// receiver is a loopback stand-in for a tenant's ATS. Paths listed in
// failFirst answer 500 that many times before succeeding.
type receiver struct {
	*httptest.Server
	mu        sync.Mutex
	got       map[string][][]byte // path -> bodies of successful requests
	hits      map[string]int
	failFirst map[string]int
}

func newReceiver(t *testing.T, failFirst map[string]int) *receiver {
	r := &receiver{got: map[string][][]byte{}, hits: map[string]int{}, failFirst: failFirst}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.hits[req.URL.Path]++
		if r.hits[req.URL.Path] <= r.failFirst[req.URL.Path] {
			http.Error(w, "not yet", http.StatusInternalServerError)
			return
		}
		r.got[req.URL.Path] = append(r.got[req.URL.Path], body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) bodies(path string) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.got[path]...)
}

func (r *receiver) hitCount(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[path]
}

func hmacHex(body []byte) string {
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// post sends a webhook and returns the status and decoded JSON answer.
func post(t *testing.T, base string, body []byte, signature string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/boooply", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Boooply-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, out
}

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatalf("switchboard %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

// waitFor polls cond (no fixed sleeps) until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countRows(t *testing.T, db *database.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Gorm.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

var sampleTypes = []string{"interview.transcript", "interview.evaluation", "interview.scores", "interview.recording"}

// TestEndToEnd runs the real server against each database: signed samples
// reach a loopback receiver exactly once and byte-equal; duplicates are not
// forwarded again; bad signatures store nothing; a flaky receiver gets three
// attempts and one success; unrouted events are listed by the CLI.
func TestEndToEnd(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			recv := newReceiver(t, map[string]int{"/flaky": 2})
			base, logs := startServer(t, target.URL, "--retry-schedule", "20ms,20ms,20ms,20ms")
			db := testdb.Open(t, target.URL)
			tenantID := strings.TrimSpace(runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints",
				"--name", "Acme", "--source-id", "org_7234567890", "--endpoint", recv.URL+"/acme"))
			if tenantID == "" {
				t.Fatal("tenants create printed no id")
			}
			runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints",
				"--name", "Flaky Inc", "--source-id", "org_flaky", "--endpoint", recv.URL+"/flaky")
			if out := runCLI(t, "tenants", "list", "--database-url", target.URL); !strings.Contains(out, "org_flaky") || !strings.Contains(out, recv.URL+"/acme") {
				t.Errorf("tenants list misses a tenant:\n%s", out)
			}

			sent := map[string][]byte{}
			for _, name := range sampleTypes {
				body, err := webhooks.Sample(name)
				if err != nil {
					t.Fatal(err)
				}
				sent[name] = body
				status, ans := post(t, base, body, hmacHex(body))
				if status != http.StatusOK || ans["status"] != "accepted" || ans["deliveries"] != 1.0 {
					t.Fatalf("%s: got %d %v, want 200 accepted with one delivery", name, status, ans)
				}
			}
			waitFor(t, "four deliveries", func() bool { return len(recv.bodies("/acme")) >= 4 })

			// A redelivery is acknowledged and not forwarded again.
			status, ans := post(t, base, sent["interview.scores"], hmacHex(sent["interview.scores"]))
			if status != http.StatusOK || ans["status"] != "duplicate" {
				t.Fatalf("duplicate: got %d %v, want 200 duplicate", status, ans)
			}
			// A bad signature is refused and nothing is stored.
			before := countRows(t, db, "SELECT COUNT(*) FROM events")
			forged := bytes.Replace(sent["interview.scores"], []byte("Boooply-AI-1234567890"), []byte("forged-1"), 1)
			if status, ans := post(t, base, forged, hmacHex(sent["interview.scores"])); status != http.StatusUnauthorized || ans["code"] != "unauthorized" {
				t.Fatalf("bad signature: got %d %v, want 401 unauthorized", status, ans)
			}
			if status, _ := post(t, base, forged, ""); status != http.StatusUnauthorized {
				t.Fatalf("missing signature: got %d, want 401", status)
			}
			if after := countRows(t, db, "SELECT COUNT(*) FROM events"); after != before {
				t.Fatalf("events went from %d to %d after refused posts", before, after)
			}

			// A receiver that fails twice then succeeds: three attempts, one success.
			flaky := bytes.Replace(sent["interview.evaluation"], []byte(`"org_7234567890"`), []byte(`"org_flaky"`), 1)
			if status, ans := post(t, base, flaky, hmacHex(flaky)); status != http.StatusOK || ans["deliveries"] != 1.0 {
				t.Fatalf("flaky: got %d %v", status, ans)
			}
			waitFor(t, "flaky delivery", func() bool {
				return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered' AND endpoint_id IN (SELECT id FROM endpoints WHERE url LIKE '%/flaky')") == 1
			})
			if n := countRows(t, db, "SELECT COUNT(*) FROM attempts WHERE delivery_id IN (SELECT d.id FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id WHERE e.url LIKE '%/flaky')"); n != 3 {
				t.Errorf("flaky attempts recorded = %d, want 3", n)
			}
			if got := len(recv.bodies("/flaky")); got != 1 || recv.hitCount("/flaky") != 3 {
				t.Errorf("flaky receiver: %d successes of %d hits, want 1 of 3", got, recv.hitCount("/flaky"))
			}

			// Unrouted: a dashboard interview (null sourceId) is held and listed.
			unrouted := bytes.Replace(sent["interview.scores"], []byte(`"org_7234567890"`), []byte(`null`), 1)
			unrouted = bytes.Replace(unrouted, []byte("Boooply-AI-1234567890"), []byte("Boooply-AI-dashboard-1"), 1)
			if status, ans := post(t, base, unrouted, hmacHex(unrouted)); status != http.StatusOK || ans["routed"] != false {
				t.Fatalf("unrouted: got %d %v", status, ans)
			}
			if out := runCLI(t, "events", "list", "--unrouted", "--database-url", target.URL); !strings.Contains(out, "Boooply-AI-dashboard-1") || strings.Contains(out, "Boooply-AI-1234567890") {
				t.Errorf("events list --unrouted:\n%s", out)
			}

			// Each sample reached the receiver exactly once, byte-equal (passthrough).
			got := recv.bodies("/acme")
			if len(got) != 4 {
				t.Fatalf("receiver got %d bodies, want 4", len(got))
			}
			for _, name := range sampleTypes {
				n := 0
				for _, b := range got {
					if bytes.Equal(b, sent[name]) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%s reached the receiver %d times byte-equal, want 1", name, n)
				}
			}
			if strings.Contains(logs.String(), testSecret) {
				t.Error("the webhook secret appears in the log")
			}
		})
	}
}

// TestHealth checks /healthz and /readyz on a migrated server.
func TestHealth(t *testing.T) {
	target := testdb.Targets(t)[0]
	base, _ := startServer(t, target.URL)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s = %d, want 200", path, resp.StatusCode)
		}
	}
}
