package webhooks

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// gauge counts requests in flight and the most seen at once.
type gauge struct {
	mu        sync.Mutex
	now, peak int
}

func (g *gauge) add(d int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.now += d
	g.peak = max(g.peak, g.now)
}

func (g *gauge) get() (int, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.now, g.peak
}

// TestHangingEndpointDoesNotDelayOthers: one tenant's endpoint never
// answers (bounded by its 30 s timeout). With 4 workers and that endpoint
// capped at 2 in flight, the other tenants' 20 deliveries all complete while
// the hanging requests are still open, and the hanging endpoint never sees
// more than its cap.
func TestHangingEndpointDoesNotDelayOthers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{workers: 4})
		var hanging gauge
		release := make(chan struct{})
		hang := newHook(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			hanging.add(1)
			defer hanging.add(-1)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		t.Cleanup(func() { close(release) })
		createTenant(t, db, "org_hang", hang.URL, func(ep *tenants.Endpoint) { ep.MaxConcurrency = 2; ep.TimeoutMS = 30000 })
		for i := range 6 {
			e.ingest(t, "org_hang", fmt.Sprintf("m-hang-%d", i))
		}
		waitUntil(t, "the hanging endpoint to hold its requests", func() bool { n, _ := hanging.get(); return n == 2 })
		ok := newHook(t, nil)
		var others []int64
		for i := range 20 {
			src := fmt.Sprintf("org_ok_%d", i%2)
			if i < 2 {
				createTenant(t, db, src, ok.URL, nil)
			}
			others = append(others, e.ingest(t, src, fmt.Sprintf("m-ok-%d", i)))
		}
		waitUntil(t, "the other tenants' deliveries", func() bool {
			return count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == int64(len(others))
		})
		inFlight, peak := hanging.get()
		if inFlight == 0 {
			t.Fatal("the hanging requests ended before the others were delivered: the test proved nothing")
		}
		if peak > 2 {
			t.Errorf("hanging endpoint saw %d requests at once, want at most its cap of 2", peak)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN tenants t ON t.id = d.tenant_id WHERE t.source_id = 'org_hang'"); n != 0 {
			t.Errorf("%d attempts of the hanging endpoint finished already, want none", n)
		}
	})
}

// TestRateLimit: an endpoint limited to 20 requests/s with burst 20 gets
// 30 deliveries no faster than the limit allows (the 10 after the burst need
// at least 0.45 s), and all arrive.
func TestRateLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{workers: 10})
		h := newHook(t, nil)
		createTenant(t, db, "org_rate", h.URL, func(ep *tenants.Endpoint) { ep.RateLimitPerSecond = 20 })
		for i := range 30 {
			e.ingest(t, "org_rate", fmt.Sprintf("m-rate-%d", i))
		}
		waitUntil(t, "30 deliveries", func() bool { return len(h.got()) == 30 })
		reqs := h.got()
		first, last := reqs[0].at, reqs[len(reqs)-1].at
		if span := last.Sub(first); span < 450*time.Millisecond {
			t.Errorf("30 requests spanned %v, want at least 450ms at 20/s with a burst of 20", span)
		}
	})
}
