package webhooks

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

// mustCreateDeliveries ingests n events for one tenant with one endpoint
// and returns their delivery ids.
func mustCreateDeliveries(t testing.TB, db *database.DB, n int) []int64 {
	t.Helper()
	svc := newTestService(t, db)
	mustCreateTenant(t, db, "org-batch", "https://ats.example/a")
	for i := range n {
		body := fmt.Sprintf(`{"event":"interview.evaluation","data":{"meetingCode":"batch-%d","sourceId":"org-batch","summary":"s"}}`, i)
		if res, err := svc.Ingest(context.Background(), mustParse(t, body)); err != nil || res.Deliveries != 1 {
			t.Fatalf("ingest %d: %+v %v", i, res, err)
		}
	}
	var ids []int64
	if err := db.Gorm.Raw("SELECT id FROM deliveries ORDER BY id").Scan(&ids).Error; err != nil || len(ids) != n {
		t.Fatalf("delivery ids: %v (err %v), want %d", ids, err, n)
	}
	return ids
}

// TestLoadBatcher: many concurrent loads, some of missing deliveries and
// some of the same delivery, each get exactly their own row (equal to a
// load alone) or NotFound.
func TestLoadBatcher(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ids := mustCreateDeliveries(t, db, 100)
		want := map[int64]*target{}
		for _, id := range ids {
			tg, err := loadJoined(context.Background(), db.Gorm, &targetQuery{}, id)
			if err != nil {
				t.Fatal(err)
			}
			want[id] = tg
		}
		b := newLoadBatcher(db.Gorm, &targetQuery{})
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for i := range 200 {
			id := ids[i%len(ids)]
			if i%7 == 0 {
				id += 1_000_000 // missing
			}
			wg.Go(func() {
				got, err := b.load(context.Background(), id)
				if w, ok := want[id]; !ok {
					if p, isProblem := problem.As(err); !isProblem || p.Code != problem.CodeNotFound {
						errs <- fmt.Errorf("load %d: got %v, %v; want not found", id, got, err)
					}
				} else if err != nil || !reflect.DeepEqual(got, w) {
					errs <- fmt.Errorf("load %d: got %+v, %v; want %+v", id, got, err, w)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// TestLoadBatcherCancelledWaiter: a waiter whose context ends gets its
// context's error; the requests queued with it are still answered.
func TestLoadBatcherCancelledWaiter(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ids := mustCreateDeliveries(t, db, 3)
		b := newLoadBatcher(db.Gorm, &targetQuery{})
		for range cap(b.c.slots) {
			b.c.slots <- struct{}{} // hold every loader slot while the requests queue up
		}
		cancelled, cancel := context.WithCancel(context.Background())
		type answer struct {
			id  int64
			t   *target
			err error
		}
		answers := make(chan answer, len(ids))
		for i, id := range ids {
			ctx := context.Background()
			if i == 1 {
				ctx = cancelled
			}
			go func() {
				tg, err := b.load(ctx, id)
				answers <- answer{id, tg, err}
			}()
		}
		for len(b.c.queue) < len(ids) {
			runtime.Gosched()
		}
		cancel()
		if a := <-answers; a.id != ids[1] || !errors.Is(a.err, context.Canceled) {
			t.Fatalf("first answer: delivery %d, %v; want %d cancelled", a.id, a.err, ids[1])
		}
		for range cap(b.c.slots) {
			<-b.c.slots
		}
		for range 2 {
			a := <-answers
			if a.err != nil || a.t.delivery.ID != a.id {
				t.Errorf("delivery %d: got %+v, %v; want its row", a.id, a.t, a.err)
			}
		}
	})
}

// BenchmarkLoad reads one delivery's target: alone, from parallel workers
// each with its own query, and from parallel workers through the batcher.
func BenchmarkLoad(b *testing.B) {
	for i, tgt := range testdb.Targets(b) {
		b.Run(tgt.Name, func(b *testing.B) {
			db := testdb.Open(b, testdb.Targets(b)[i].URL) // a fresh database per run
			ids := mustCreateDeliveries(b, db, 100)
			q := &targetQuery{}
			batcher := newLoadBatcher(db.Gorm, q)
			for _, mode := range []struct {
				name string
				load func(ctx context.Context, id int64) (*target, error)
				par  bool
			}{
				{"single", func(ctx context.Context, id int64) (*target, error) { return loadJoined(ctx, db.Gorm, q, id) }, false},
				{"parallel", func(ctx context.Context, id int64) (*target, error) { return loadJoined(ctx, db.Gorm, q, id) }, true},
				{"parallel-batched", batcher.load, true},
			} {
				b.Run(mode.name, func(b *testing.B) { benchLoad(b, ids, mode.load, mode.par) })
			}
		})
	}
}

func benchLoad(b *testing.B, ids []int64, load func(context.Context, int64) (*target, error), parallel bool) {
	b.ReportAllocs()
	if !parallel {
		for i := 0; b.Loop(); i++ {
			if _, err := load(context.Background(), ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	b.SetParallelism(32) // 32 × GOMAXPROCS workers, as River runs many
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := load(context.Background(), ids[n.Add(1)%int64(len(ids))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
