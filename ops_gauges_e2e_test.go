package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidwall/sjson"

	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// TestOpsGauges: the gauges an operator pages on follow the database, on
// both dialects. Held events count and age by reason as events arrive for a
// sourceId no tenant owns and without a sourceId, move to tenant_exists when
// the tenant is created, and drop to zero once deliver-held attaches them;
// the oldest pending delivery's age grows while its receiver hangs and is
// back to zero once it is delivered.
func TestOpsGauges(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			release := make(chan struct{})
			var releaseOnce sync.Once
			unblock := func() { releaseOnce.Do(func() { close(release) }) }
			var hits atomic.Int32
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				select {
				case <-release:
					w.WriteHeader(http.StatusNoContent)
				case <-r.Context().Done():
				}
			}))
			t.Cleanup(recv.Close)
			t.Cleanup(unblock)
			base, _ := startServer(t, target.URL, "--metrics-refresh", "1s")

			// An idle server: every series at zero, ready once read.
			g := waitGauges(t, base, "the first refresh", func(g opsGauges) bool { return g.refreshed > 0 })
			if g.ready != 1 || g.pendingAge != 0 {
				t.Fatalf("idle: ready %v, pending age %v; want 1 and 0", g.ready, g.pendingAge)
			}
			for _, reason := range []string{webhooks.HeldNoTenant, webhooks.HeldTenantExists, webhooks.HeldNoSourceID} {
				if g.held[reason] != 0 || g.heldAge[reason] != 0 {
					t.Fatalf("idle: held %s = %v (age %v), want 0", reason, g.held[reason], g.heldAge[reason])
				}
			}

			sample, err := os.ReadFile("webhooks/samples/evaluation.json")
			if err != nil {
				t.Fatal(err)
			}
			noSource, err := sjson.SetRawBytes(sample, "data.sourceId", []byte("null"))
			if err != nil {
				t.Fatal(err)
			}
			if noSource, err = sjson.SetBytes(noSource, "data.meetingCode", "Boooply-no-source-1"); err != nil {
				t.Fatal(err)
			}
			for _, body := range [][]byte{sample, noSource} {
				if status, out := post(t, base, body, hmacHex(body)); status != http.StatusOK || out["routed"] != false {
					t.Fatalf("post = %d %v, want 200 and not routed", status, out)
				}
			}
			g = waitGauges(t, base, "both events held", func(g opsGauges) bool {
				return g.held[webhooks.HeldNoTenant] == 1 && g.held[webhooks.HeldNoSourceID] == 1
			})
			if g.heldAge[webhooks.HeldNoTenant] <= 0 || g.heldAge[webhooks.HeldNoSourceID] <= 0 || g.held[webhooks.HeldTenantExists] != 0 {
				t.Fatalf("held: %+v, want an age for no_tenant and no_source_id, nothing for tenant_exists", g)
			}
			before := g.heldAge[webhooks.HeldNoTenant]
			g = waitGauges(t, base, "the held event's age to grow", func(g opsGauges) bool { return g.heldAge[webhooks.HeldNoTenant] > before })

			// The tenant is created: its sourceId's event waits for deliver-held.
			id := strings.TrimSpace(runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey,
				"--allow-private-endpoints", "--name", "Acme", "--source-id", "org_7234567890", "--endpoint", recv.URL+"/hang"))
			waitGauges(t, base, "the event to be held for an existing tenant", func(g opsGauges) bool {
				return g.held[webhooks.HeldNoTenant] == 0 && g.heldAge[webhooks.HeldNoTenant] == 0 &&
					g.held[webhooks.HeldTenantExists] == 1 && g.heldAge[webhooks.HeldTenantExists] > 0
			})
			runCLI(t, "tenants", "deliver-held", "--database-url", target.URL, "--secret-key", testKey, "--tenant", id)
			runCLI(t, "tenants", "deliver-held", "--database-url", target.URL, "--secret-key", testKey, "--tenant", id, "--null-source")
			g = waitGauges(t, base, "nothing held", func(g opsGauges) bool {
				for _, reason := range []string{webhooks.HeldNoTenant, webhooks.HeldTenantExists, webhooks.HeldNoSourceID} {
					if g.held[reason] != 0 || g.heldAge[reason] != 0 {
						return false
					}
				}
				return true
			})

			// Both deliveries hang at the receiver: pending, and the oldest ages.
			waitFor(t, "both deliveries to reach the receiver", func() bool { return hits.Load() == 2 })
			g = waitGauges(t, base, "a pending delivery's age", func(g opsGauges) bool { return g.pendingAge > 0 })
			before = g.pendingAge
			waitGauges(t, base, "the pending delivery's age to grow", func(g opsGauges) bool { return g.pendingAge > before })
			unblock()
			waitGauges(t, base, "no pending delivery", func(g opsGauges) bool { return g.pendingAge == 0 })
		})
	}
}

// opsGauges are the values of webhooks.OpsGauges' series in one scrape.
type opsGauges struct {
	ready, refreshed, pendingAge float64
	held, heldAge                map[string]float64
}

func (g opsGauges) String() string {
	return fmt.Sprintf("ready %v refreshed %v pending age %v held %v held age %v", g.ready, g.refreshed, g.pendingAge, g.held, g.heldAge)
}

// readGauges scrapes base once; every series must be there.
func readGauges(t *testing.T, base string) opsGauges {
	t.Helper()
	samples := scrape(t, base)
	get := func(name string, labels ...string) float64 {
		v, ok := metricValue(samples, name, labels...)
		if !ok {
			t.Fatalf("/metrics lacks %s%v", name, labels)
		}
		return v
	}
	g := opsGauges{ready: get("switchboard_ready"), refreshed: get("switchboard_ops_gauges_refreshed_timestamp_seconds"),
		pendingAge: get("switchboard_delivery_pending_oldest_age_seconds"), held: map[string]float64{}, heldAge: map[string]float64{}}
	for _, reason := range []string{webhooks.HeldNoTenant, webhooks.HeldTenantExists, webhooks.HeldNoSourceID} {
		g.held[reason] = get("switchboard_held_events", "reason", reason)
		g.heldAge[reason] = get("switchboard_held_events_oldest_age_seconds", "reason", reason)
	}
	return g
}

// waitGauges scrapes until cond holds (the gauges refresh every second
// here), every 100 ms: a scrape only copies the last values read.
func waitGauges(t *testing.T, base, what string, cond func(opsGauges) bool) opsGauges {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		g := readGauges(t, base)
		if cond(g) {
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last scrape: %v", what, g)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
