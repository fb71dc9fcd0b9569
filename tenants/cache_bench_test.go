package tenants

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// BenchmarkLookup compares the ingest path's tenant lookup from the cache
// with the database query it replaces, over 1,000 tenants with 2 endpoints each.
func BenchmarkLookup(b *testing.B) {
	for _, target := range testdb.Targets(b) {
		db := testdb.Open(b, target.URL)
		ctx := context.Background()
		seed(b, db, 1000)
		cache := NewCache(db.Gorm, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err := cache.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
		b.Run(target.Name+"/cache", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if r, ok := cache.BySourceID(fmt.Sprint("org_", i%1000)); !ok || len(r.Endpoints) != 2 {
					b.Fatal("miss")
				}
			}
		})
		b.Run(target.Name+"/database", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				t, err := FindBySourceID(ctx, db.Gorm, fmt.Sprint("org_", i%1000))
				if err != nil {
					b.Fatal(err)
				}
				if eps, err := ListEndpoints(ctx, db.Gorm, t.ID); err != nil || len(eps) != 2 {
					b.Fatal(err)
				}
			}
		})
		b.Run(target.Name+"/reload-partial-nothing-changed", func(b *testing.B) {
			_, prev, _ := loadAll(ctx, db.Gorm)
			for b.Loop() {
				if _, _, err := loadChanged(ctx, db.Gorm, prev); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(target.Name+"/reload-full", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := loadAll(ctx, db.Gorm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func seed(b *testing.B, db *database.DB, n int) {
	b.Helper()
	s := NewStore(db.Gorm)
	for i := range n {
		eps := []*Endpoint{{URL: "https://a.example/1", Enabled: true}, {URL: "https://a.example/2", Enabled: true}}
		if err := s.CreateTenant(context.Background(), &Tenant{Name: fmt.Sprint("T", i), SourceID: fmt.Sprint("org_", i), Status: StatusActive}, eps); err != nil {
			b.Fatal(err)
		}
	}
}
