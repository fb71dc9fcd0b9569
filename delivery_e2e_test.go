package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// startReplica runs serve like startServer but returns a stop func that
// cancels it (a replica going away) and waits for it to return.
func startReplica(t *testing.T, dbURL string, extra ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--database-url", dbURL, "--webhook-secret", testSecret,
		"--secret-key", testKey, "--allow-private-endpoints"}, extra...)
	done := make(chan struct{})
	var serveErr error
	go func() { serveErr = run(ctx, args, logs); close(done) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(40 * time.Second):
				t.Errorf("replica did not stop")
			}
		})
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := listenRE.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1], stop
		}
		select {
		case <-done:
			t.Fatalf("serve exited early: %v\n%s", serveErr, logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("replica did not start:\n%s", logs)
	return "", nil
}

// idCounter is a receiver counting requests per webhook-id.
type idCounter struct {
	*httptest.Server
	mu    sync.Mutex
	seen  map[string]int
	delay time.Duration
}

func newIDCounter(t *testing.T) *idCounter {
	c := &idCounter{seen: map[string]int{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		c.mu.Lock()
		c.seen[r.Header.Get("webhook-id")]++
		d := c.delay
		c.mu.Unlock()
		time.Sleep(d)
		w.WriteHeader(204)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *idCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.seen))
	for k, v := range c.seen {
		out[k] = v
	}
	return out
}

func meetingEvent(t *testing.T, i int) []byte {
	body, err := webhooks.Sample("interview.scores")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Replace(body, []byte("Boooply-AI-1234567890"), fmt.Appendf(nil, "replica-%04d", i), 1)
}

// TestThreeReplicas runs three serve processes on one PostgreSQL database.
// In normal operation each of 60 events is delivered exactly once, whichever
// replica ingested it. Then one replica is stopped with a 1 ms shutdown
// budget while deliveries to a slow receiver are in flight: its jobs are
// handed back and the other two deliver everything.
func TestThreeReplicas(t *testing.T) {
	targets := testdb.Targets(t)
	if len(targets) < 2 {
		t.Skip("needs PostgreSQL (set " + testdb.PostgresEnv + "); SQLite is one node by design")
	}
	url := targets[1].URL
	recv := newIDCounter(t)
	var bases []string
	var stops []func()
	// Replica 0 will be cut off (1 ms shutdown budget); the others shut down gracefully.
	for _, shutdown := range []string{"1ms", "20s", "20s"} {
		b, s := startReplica(t, url, "--retry-schedule", "20ms,20ms,20ms,20ms,20ms", "--rescue-stuck-after", "2s", "--shutdown-timeout", shutdown)
		bases, stops = append(bases, b), append(stops, s)
	}
	runCLI(t, "tenants", "create", "--database-url", url, "--secret-key", testKey, "--allow-private-endpoints",
		"--name", "Acme", "--source-id", "org_7234567890", "--endpoint", recv.URL+"/hook")
	db := testdb.Open(t, url)

	for i := range 60 {
		body := meetingEvent(t, i)
		if status, ans := post(t, bases[i%3], body, hmacHex(body)); status != 200 || ans["deliveries"] != 1.0 {
			t.Fatalf("event %d: %d %v", i, status, ans)
		}
	}
	waitFor(t, "60 deliveries", func() bool {
		return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 60
	})
	seen := recv.snapshot()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s was received %d times, want exactly once", id, n)
		}
	}
	if len(seen) != 60 || countRows(t, db, "SELECT COUNT(*) FROM attempts") != 60 {
		t.Fatalf("receiver saw %d ids and %d attempts were recorded, want 60 and 60", len(seen), countRows(t, db, "SELECT COUNT(*) FROM attempts"))
	}

	recv.mu.Lock()
	recv.delay = 150 * time.Millisecond
	recv.mu.Unlock()
	for i := 60; i < 90; i++ {
		body := meetingEvent(t, i)
		if status, _ := post(t, bases[i%3], body, hmacHex(body)); status != 200 {
			t.Fatalf("event %d: %d", i, status)
		}
	}
	waitFor(t, "some deliveries in flight", func() bool { return len(recv.snapshot()) >= 65 })
	stops[0]() // replica 0 goes away mid-way
	waitFor(t, "90 deliveries", func() bool {
		return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 90
	})
	seen = recv.snapshot()
	twice := 0
	for _, n := range seen {
		if n > 1 {
			twice++
		}
	}
	if len(seen) != 90 {
		t.Fatalf("receiver saw %d distinct deliveries, want 90", len(seen))
	}
	t.Logf("after cutting one replica off: %d of 30 deliveries were received twice (cut short mid-attempt: at least once)", twice)

	// A graceful stop finishes in-flight attempts: nothing is sent twice.
	for i := 90; i < 110; i++ {
		body := meetingEvent(t, i)
		if status, _ := post(t, bases[1+i%2], body, hmacHex(body)); status != 200 {
			t.Fatalf("event %d: %d", i, status)
		}
	}
	waitFor(t, "deliveries in flight", func() bool { return len(recv.snapshot()) >= 95 })
	stops[1]()
	waitFor(t, "110 deliveries", func() bool {
		return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 110
	})
	after := recv.snapshot()
	for id, n := range after {
		if seen[id] == 0 && n != 1 {
			t.Errorf("%s was received %d times across a graceful shutdown, want once", id, n)
		}
	}
}

// TestDeliveriesCLIAndMetrics drives the operator's tools against a running
// server: a receiver that is down makes deliveries fail; the CLI lists and
// shows them, retries one, bulk-retries the rest once the receiver is up,
// sends a test event; the API answers an admin token; /metrics
// counts the attempts.
func TestDeliveriesCLIAndMetrics(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			var mu sync.Mutex
			up := false
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if !up {
					w.WriteHeader(500)
					return
				}
				w.WriteHeader(204)
			}))
			t.Cleanup(recv.Close)
			base, _ := startServer(t, target.URL, "--retry-schedule", "10ms", "--breaker-cooldown", "50ms", "--metrics-refresh", "1s")
			token := adminBearer(t, target.URL, base)
			db := testdb.Open(t, target.URL)
			tenant := strings.TrimSpace(runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints",
				"--name", "Acme", "--source-id", "org_7234567890", "--endpoint", recv.URL+"/hook"))
			for i := range 3 {
				body := meetingEvent(t, i)
				if status, _ := post(t, base, body, hmacHex(body)); status != 200 {
					t.Fatalf("post: %d", status)
				}
			}
			waitFor(t, "three failures", func() bool { return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'failed'") == 3 })
			list := runCLI(t, "deliveries", "list", "--database-url", target.URL, "--status", "failed")
			if strings.Count(list, "failed") != 3 || !strings.Contains(list, "500") {
				t.Fatalf("deliveries list:\n%s", list)
			}
			var first int64
			_ = db.Gorm.Raw("SELECT MIN(id) FROM deliveries").Scan(&first).Error
			id := fmt.Sprint(first)
			if show := runCLI(t, "deliveries", "show", "--database-url", target.URL, id); !strings.Contains(show, `"error_class": "http-status"`) {
				t.Fatalf("deliveries show:\n%s", show)
			}
			mu.Lock()
			up = true
			mu.Unlock()
			runCLI(t, "deliveries", "retry", "--database-url", target.URL, id)
			waitFor(t, "retried", func() bool {
				return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 1
			})
			if out := runCLI(t, "deliveries", "bulk-retry", "--database-url", target.URL, "--tenant", tenant); !strings.HasPrefix(out, "2 ") {
				t.Fatalf("bulk-retry: %s", out)
			}
			waitFor(t, "bulk retried", func() bool {
				return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 3
			})
			var ep int64
			_ = db.Gorm.Raw("SELECT id FROM endpoints").Scan(&ep).Error
			runCLI(t, "deliveries", "test", "--database-url", target.URL, "--tenant", tenant, "--endpoint", fmt.Sprint(ep))
			waitFor(t, "test event", func() bool {
				return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 4
			})
			if err := run(context.Background(), []string{"deliveries", "retry", "--database-url", target.URL, id}, io.Discard); err == nil || !strings.Contains(err.Error(), "only failed") {
				t.Errorf("retrying a delivered delivery: %v, want a refusal", err)
			}

			req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/deliveries?status=delivered&limit=2", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || strings.Count(string(b), `"status":"delivered"`) != 2 || !strings.Contains(string(b), `"next_cursor"`) {
				t.Fatalf("API list: %d %s", resp.StatusCode, b)
			}
			resp, err = http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{`switchboard_delivery_attempts_total{outcome="delivered"} 4`, `switchboard_delivery_attempts_total{outcome="failed"} 3`,
				"switchboard_delivery_duration_seconds_bucket", "switchboard_delivery_lag_seconds_count 4",
				`switchboard_delivery_queue_depth{state="available"}`} {
				if !strings.Contains(string(b), want) {
					t.Errorf("/metrics lacks %q", want)
				}
			}
			// The database-backed gauges show what the last background
			// refresh (every second here) read, not what a scrape queries.
			waitFor(t, "switchboard_endpoints{health=\"healthy\"} 1", func() bool {
				v, ok := metricValue(scrape(t, base), "switchboard_endpoints", "health", "healthy")
				return ok && v == 1
			})
		})
	}
}

// TestIngestOnlyReplica: a replica started with --delivery-workers 0 acks
// and stores events but never delivers, and pushes back once the backlog
// bound is reached; a replica that delivers, on the same database,
// delivers what it stored, each once. SQLite refuses the setting: nothing
// else would deliver.
func TestIngestOnlyReplica(t *testing.T) {
	targets := testdb.Targets(t)
	for _, bad := range []struct{ url, workers, want string }{
		{targets[0].URL, "0", "needs PostgreSQL"},
		{targets[0].URL, "-1", "must be 0 (ingest only) or more"},
	} {
		err := run(context.Background(), []string{"serve", "--listen", "127.0.0.1:0", "--database-url", bad.url,
			"--secret-key", testKey, "--delivery-workers", bad.workers}, &syncBuffer{})
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("--delivery-workers %s on %s: %v, want an error saying %q", bad.workers, bad.url, err, bad.want)
		}
	}
	if len(targets) < 2 {
		t.Skip("needs PostgreSQL (set " + testdb.PostgresEnv + "); SQLite is one node by design")
	}
	url := targets[1].URL
	recv := newIDCounter(t)
	ingest, _ := startReplica(t, url, "--delivery-workers", "0", "--max-delivery-backlog", "5")
	runCLI(t, "tenants", "create", "--database-url", url, "--secret-key", testKey, "--allow-private-endpoints",
		"--name", "Acme", "--source-id", "org_7234567890", "--endpoint", recv.URL+"/hook")
	db := testdb.Open(t, url)
	postTo := func(base string, from, to int) {
		for i := from; i < to; i++ {
			body := meetingEvent(t, i)
			if status, ans := post(t, base, body, hmacHex(body)); status != 200 || ans["deliveries"] != 1.0 {
				t.Fatalf("event %d: %d %v", i, status, ans)
			}
		}
	}
	postTo(ingest, 0, 5)
	// A replica that delivers would have fetched these within its 50 ms poll.
	time.Sleep(time.Second)
	if n := len(recv.snapshot()); n != 0 {
		t.Fatalf("the ingest-only replica delivered %d events", n)
	}
	if n := countRows(t, db, "SELECT COUNT(*) FROM river_job WHERE state = 'available'"); n != 5 {
		t.Fatalf("%d delivery jobs waiting, want 5", n)
	}
	// Five waiting is the bound: the ingest-only replica pushes back.
	body := meetingEvent(t, 5)
	if status, ans := post(t, ingest, body, hmacHex(body)); status != http.StatusServiceUnavailable {
		t.Fatalf("past the backlog bound: %d %v, want 503", status, ans)
	}

	startReplica(t, url)
	waitFor(t, "the ingest-only replica admitting again", func() bool {
		status, _ := post(t, ingest, body, hmacHex(body))
		return status == http.StatusOK
	})
	postTo(ingest, 6, 10)
	waitFor(t, "10 deliveries", func() bool {
		return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 10
	})
	seen := recv.snapshot()
	if len(seen) != 10 {
		t.Fatalf("receiver saw %d distinct deliveries, want 10", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s was received %d times, want once", id, n)
		}
	}
}
