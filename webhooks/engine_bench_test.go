package webhooks

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// BenchmarkDeliveryBesideHangingEndpoint measures how long 20 deliveries to
// healthy tenants take while another tenant's endpoint hangs with 2
// requests in flight (4 workers, SQLite), against a baseline without it. Reported as ms per batch of 20
// and deliveries/s.
func BenchmarkDeliveryBesideHangingEndpoint(b *testing.B) {
	for _, hanging := range []int{0, 4} {
		b.Run(fmt.Sprintf("hanging_events=%d", hanging), func(b *testing.B) { benchNeighbour(b, hanging) })
	}
}

func benchNeighbour(b *testing.B, hanging int) {
	db := testdb.Open(b, testdb.Targets(b)[0].URL)
	e := startEngine(b, db, engineOpts{workers: 4})
	release := make(chan struct{})
	hang := newHook(b, func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	b.Cleanup(func() { close(release) })
	createTenant(b, db, "org_hang", hang.URL, func(ep *tenants.Endpoint) { ep.MaxConcurrency = 2; ep.TimeoutMS = 60000 })
	for i := range hanging {
		e.ingest(b, "org_hang", fmt.Sprintf("m-hang-%d", i))
	}
	ok := newHook(b, nil)
	createTenant(b, db, "org_ok", ok.URL, nil)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		want := int64((i + 1) * 20)
		for j := range 20 {
			e.ingest(b, "org_ok", fmt.Sprintf("m-ok-%d-%d", i, j))
		}
		waitUntil(b, "batch", func() bool {
			return count(b, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == want
		})
	}
	b.ReportMetric(float64(b.N*20)/time.Since(start).Seconds(), "deliveries/s")
}
