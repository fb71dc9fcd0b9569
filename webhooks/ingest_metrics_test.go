package webhooks

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// histogramCount reads how many observations h has and their sum.
func histogramCount(t *testing.T, h prometheus.Histogram) (uint64, float64) {
	t.Helper()
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
}

// ingestConcurrently ingests every one of ins at once, one goroutine each.
func ingestConcurrently(t *testing.T, svc *Service, ins []Inbound) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(ins))
	for _, in := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.Ingest(context.Background(), in); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("ingest: %v", err)
	}
}

// distinctEvents returns n events of org_1 with different meetingCodes.
func distinctEvents(t *testing.T, n int) []Inbound {
	t.Helper()
	ins := make([]Inbound, n)
	for i := range ins {
		ins[i] = mustParse(t, fmt.Sprintf(`{"event":"interview.scores","data":{"meetingCode":"m-%d","sourceId":"org_1"}}`, i))
	}
	return ins
}

// TestIngestCommitMetrics: with group commit, every event observes its
// wait once and every transaction its time once (fewer transactions than
// events when they share); stored alone, each event is one transaction and
// waits for nobody.
func TestIngestCommitMetrics(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		mustCreateTenant(t, db, "org_1", "https://a.example/hook")
		const n = 24

		batched := newTestService(t, db)
		batched.EnableBatching(8, 1)
		waits0, _ := histogramCount(t, ingestCommitWait)
		commits0, sum0 := histogramCount(t, ingestCommit)
		ingestConcurrently(t, batched, distinctEvents(t, n))
		batched.Close()
		waits1, _ := histogramCount(t, ingestCommitWait)
		commits1, sum1 := histogramCount(t, ingestCommit)
		if waits1-waits0 != n {
			t.Errorf("commit waits observed = %d, want %d (one per event)", waits1-waits0, n)
		}
		if c := commits1 - commits0; c < n/8 || c > n {
			t.Errorf("commits observed = %d, want between %d and %d", c, n/8, n)
		}
		if sum1 <= sum0 {
			t.Errorf("commit seconds did not grow: %v -> %v", sum0, sum1)
		}

		single := newTestService(t, db)
		if err := db.Gorm.Exec("DELETE FROM deliveries").Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Exec("DELETE FROM events").Error; err != nil {
			t.Fatal(err)
		}
		ingestConcurrently(t, single, distinctEvents(t, n))
		waits2, _ := histogramCount(t, ingestCommitWait)
		commits2, _ := histogramCount(t, ingestCommit)
		if waits2 != waits1 {
			t.Errorf("events stored alone observed %d commit waits, want none", waits2-waits1)
		}
		if c := commits2 - commits1; c < n {
			t.Errorf("events stored alone: %d commits observed, want at least %d", c, n)
		}
	})
}
