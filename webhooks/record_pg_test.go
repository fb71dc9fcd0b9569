package webhooks

import (
	"context"
	"maps"
	"os"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// recordCases are attempts with the shapes of update settle makes.
func recordCases() []struct {
	attempt Attempt
	updates map[string]any
} {
	at := time.Date(2026, 5, 6, 7, 8, 9, 123456000, time.UTC)
	code := 503
	none := map[string]string{}
	return []struct {
		attempt Attempt
		updates map[string]any
	}{
		{Attempt{Number: 1, StartedAt: at, DurationMS: 12, StatusCode: &code, ResponseBody: "ok",
			RequestHeaders: map[string]string{"A": "1"}, ResponseHeaders: map[string]string{"B": "2"}},
			map[string]any{"status": DeliveryDelivered, "attempts": 1, "last_status_code": &code, "last_error": "", "updated_at": at, "delivered_at": at,
				"mapping_version_id": int64(7), "mapped_body": []byte(`{"x":1}`)}},
		{Attempt{Number: 2, StartedAt: at, ErrorClass: "timeout", Error: "timed out", RequestHeaders: none, ResponseHeaders: none},
			map[string]any{"status": DeliveryPending, "attempts": 2, "last_status_code": (*int)(nil), "last_error": "timed out", "updated_at": at}},
		{Attempt{Number: 3, StartedAt: at, StatusCode: &code, RequestHeaders: none, ResponseHeaders: none},
			map[string]any{"status": DeliveryFailed, "attempts": 3, "last_status_code": &code, "last_error": "x", "updated_at": at, "mapping_version_id": (*int64)(nil)}},
	}
}

// TestRecordBatcher: records stored alone and in batches (several shapes,
// padded row counts) write the same attempt and delivery rows as GORM's
// Create and Updates and set each attempt's id; a record of a missing
// delivery fails alone.
func TestRecordBatcher(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		if db.Dialect != database.Postgres {
			t.Skip("PostgreSQL only")
		}
		cases := recordCases()
		const n = 25 // more than recordBatchMax: two batches, the last of one record
		ids := mustCreateDeliveries(t, db, 2*n)
		b := newRecordBatcher(db.Gorm, &attemptRecord{})
		for range cap(b.c.slots) {
			b.c.slots <- struct{}{} // hold the runners while the records queue up
		}
		attempts := make([]Attempt, n)
		errs := make([]error, n+1)
		var wg sync.WaitGroup
		for i := range n {
			attempts[i] = cases[i%len(cases)].attempt
			attempts[i].DeliveryID, attempts[i].TenantID = ids[i], 1
			wg.Go(func() { errs[i] = b.record(context.Background(), &attempts[i], cases[i%len(cases)].updates) })
		}
		missing := cases[0].attempt
		missing.DeliveryID, missing.TenantID = ids[len(ids)-1]+1000, 1
		wg.Go(func() { errs[n] = b.record(context.Background(), &missing, cases[0].updates) })
		for len(b.c.queue) < n+1 {
			time.Sleep(time.Millisecond)
		}
		for range cap(b.c.slots) {
			<-b.c.slots
		}
		wg.Wait()
		if errs[n] == nil {
			t.Errorf("record of a missing delivery: no error")
		}
		var batched []int64 // the shapes without the missing delivery's
		for i := range n {
			if i%len(cases) != 0 {
				batched = append(batched, attempts[i].ID)
			}
		}
		var commits int
		if err := db.Gorm.Raw("SELECT count(DISTINCT xmin::text) FROM attempts WHERE id IN ?", batched).Scan(&commits).Error; err != nil || commits >= len(batched) {
			t.Errorf("%d records in %d transactions (err %v); want them to share", len(batched), commits, err)
		}
		for i := range n {
			if errs[i] != nil || attempts[i].ID == 0 {
				t.Fatalf("record %d: id %d, %v", i, attempts[i].ID, errs[i])
			}
			twin := cases[i%len(cases)].attempt
			twin.DeliveryID, twin.TenantID = ids[n+i], 1
			if err := db.Gorm.Create(&twin).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm.Model(&Delivery{}).Where("id = ?", twin.DeliveryID).Updates(cases[i%len(cases)].updates).Error; err != nil {
				t.Fatal(err)
			}
			mustEqualRecords(t, db, attempts[i], twin)
		}
	})
}

// mustEqualRecords compares the rows of two recorded attempts and their
// deliveries, ids and creation times aside.
func mustEqualRecords(t *testing.T, db *database.DB, a, b Attempt) {
	t.Helper()
	var got, want Attempt
	var gotD, wantD Delivery
	for _, read := range []struct {
		dest any
		id   int64
	}{{&got, a.ID}, {&want, b.ID}, {&gotD, a.DeliveryID}, {&wantD, b.DeliveryID}} {
		if err := db.Gorm.First(read.dest, read.id).Error; err != nil {
			t.Fatal(err)
		}
	}
	if got.DeliveryID != a.DeliveryID {
		t.Errorf("attempt %d belongs to delivery %d, want %d", a.ID, got.DeliveryID, a.DeliveryID)
	}
	got.ID, got.DeliveryID, want.ID, want.DeliveryID = 0, 0, 0, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attempt:\n got %+v\nwant %+v", got, want)
	}
	gotD.ID, gotD.EventID, gotD.CreatedAt, wantD.ID, wantD.EventID, wantD.CreatedAt = 0, 0, time.Time{}, 0, 0, time.Time{}
	if !reflect.DeepEqual(gotD, wantD) {
		t.Errorf("delivery:\n got %+v\nwant %+v", gotD, wantD)
	}
}

// BenchmarkRecord stores one attempt and its delivery's update from
// parallel workers (PostgreSQL): each with its own statement, and through
// the batcher.
func BenchmarkRecord(b *testing.B) {
	if os.Getenv(testdb.PostgresEnv) == "" {
		b.Skip("PostgreSQL only")
	}
	db := testdb.Open(b, testdb.NewPostgresURL(b))
	ids := mustCreateDeliveries(b, db, 100)
	c := recordCases()[1]
	rec := &attemptRecord{}
	batcher := newRecordBatcher(db.Gorm, rec)
	columns := slices.Sorted(maps.Keys(c.updates))
	for _, mode := range []struct {
		name  string
		store func(a *Attempt) error
	}{
		{"parallel", func(a *Attempt) error {
			_, err := rec.insertUpdate(context.Background(), db.Gorm, a, a.DeliveryID, columns, c.updates)
			return err
		}},
		{"parallel-batched", func(a *Attempt) error { return batcher.record(context.Background(), a, c.updates) }},
	} {
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(32) // 32 × GOMAXPROCS workers, as River runs many
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					a := c.attempt
					a.DeliveryID, a.TenantID = ids[n.Add(1)%int64(len(ids))], 1
					if err := mode.store(&a); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
