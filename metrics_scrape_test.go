package main

import (
	"errors"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestMetricsScrapeRunsNoQuery: on both dialects, gathering serve's
// registry runs no SQL and, with the database down, still exports the
// queue depth and endpoint series (at zero, before any refresh): a scrape
// copies what the background refresher read. The queue-depth and
// endpoint-health gauges used to query at each scrape and vanish when the
// query failed.
func TestMetricsScrapeRunsNoQuery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		reg, _ := newMetricsRegistry(db)
		var queries atomic.Int64
		hook := func(tx *gorm.DB) {
			queries.Add(1)
			_ = tx.AddError(errors.New("database down (test)"))
		}
		cb := db.Gorm.Callback()
		for _, err := range []error{
			cb.Query().Before("gorm:query").Register("test:count_query", hook),
			cb.Row().Before("gorm:row").Register("test:count_row", hook),
			cb.Raw().Before("gorm:raw").Register("test:count_raw", hook),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		if n := queries.Load(); n != 0 {
			t.Errorf("a scrape ran %d queries, want none", n)
		}
		series := map[string]int{}
		for _, f := range families {
			series[f.GetName()] = len(f.GetMetric())
		}
		for name, want := range map[string]int{"switchboard_delivery_queue_depth": 5, "switchboard_endpoints": 4} {
			if series[name] < want {
				t.Errorf("%s: %d series with the database down, want at least %d", name, series[name], want)
			}
		}
	})
}
