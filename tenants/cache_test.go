package tenants

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

func TestCacheFollowsChanges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		// Two caches over one database stand in for two replicas; the editor
		// nudges neither, so only the version poll can tell them.
		ed := newTestEditor(t, db.Gorm)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a, b := NewCache(db.Gorm, 10*time.Millisecond, log), NewCache(db.Gorm, 10*time.Millisecond, log)
		for _, c := range []*Cache{a, b} {
			if err := c.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, ok := a.BySourceID("org_x"); ok {
			t.Fatal("empty database: cache hit")
		}
		tn := mustCreateTenant(t, ed, "X", "org_x", StatusActive, EndpointInput{URL: ptr("https://x.example/")})
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		go b.Run(runCtx)
		waitCache(t, "b sees the new tenant", func() bool {
			r, ok := b.BySourceID("org_x")
			return ok && r.Tenant.ID == tn.ID && len(r.Endpoints) == 1
		})
		if err := a.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if r, ok := a.ByID(tn.ID); !ok || r.Tenant.SourceID != "org_x" {
			t.Fatalf("a.ByID = %+v, %v", r, ok)
		}
		if _, err := ed.UpdateTenant(ctx, tn.ID, TenantUpdate{SourceID: ptr("org_y"), Status: ptr(StatusPaused)}); err != nil {
			t.Fatal(err)
		}
		waitCache(t, "b follows the sourceId change", func() bool {
			r, ok := b.BySourceID("org_y")
			_, old := b.BySourceID("org_x")
			return ok && !old && r.Tenant.Status == StatusPaused
		})
		// Endpoint changes and deletions arrive through the partial reload.
		gone := mustCreateTenant(t, ed, "Gone", "org_gone", StatusActive)
		v, err := ed.AddEndpoint(ctx, tn.ID, EndpointInput{URL: ptr("https://x2.example/")})
		if err != nil {
			t.Fatal(err)
		}
		waitCache(t, "b sees the second endpoint and the new tenant", func() bool {
			r, ok := b.BySourceID("org_y")
			_, g := b.BySourceID("org_gone")
			return ok && g && len(r.Endpoints) == 2
		})
		if _, err := ed.UpdateEndpoint(ctx, tn.ID, v.ID, EndpointInput{Enabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		waitCache(t, "b sees the endpoint disabled", func() bool {
			r, ok := b.BySourceID("org_y")
			return ok && len(r.Endpoints) == 2 && !r.Endpoints[1].Enabled
		})
		if err := ed.RemoveEndpoint(ctx, tn.ID, v.ID); err != nil {
			t.Fatal(err)
		}
		if err := ed.DeleteTenant(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		waitCache(t, "b drops the removed endpoint and the deleted tenant", func() bool {
			r, ok := b.BySourceID("org_y")
			_, g := b.BySourceID("org_gone")
			_, gid := b.ByID(gone.ID)
			return ok && !g && !gid && len(r.Endpoints) == 1
		})
		// The data can be newer than the version the poll recorded (it reads the
		// version first); the next poll catches the version up.
		waitCache(t, "b's version reaches the database's", func() bool { return b.Version() == tenantVersion(t, db.Gorm) })
	})
}

func waitCache(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestListUnrouted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		base := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		insert := func(code string, source *string, at time.Time) {
			t.Helper()
			if err := db.Gorm.Exec("INSERT INTO events (event_type, meeting_code, source_id, revision, fingerprint, body, received_at) VALUES ('interview.scores', ?, ?, 1, 'f', ?, ?)",
				code, source, []byte("{}"), at).Error; err != nil {
				t.Fatal(err)
			}
		}
		insert("m1", ptr("org_new"), base)
		insert("m2", ptr("org_new"), base.Add(time.Hour))
		insert("m3", nil, base.Add(2*time.Hour))
		insert("m4", ptr("org_later"), base.Add(30*time.Minute))
		tn := mustCreateTenant(t, ed, "Later", "org_later", StatusActive)
		groups, err := ed.ListUnrouted(ctx, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 3 {
			t.Fatalf("groups = %+v, want 3", groups)
		}
		// Most recently arrived first (by event id): org_later, then null, then org_new.
		later, null, older := groups[0], groups[1], groups[2]
		if null.SourceID != nil || null.Count != 1 {
			t.Fatalf("second group = %+v, want the null sourceId", null)
		}
		if older.SourceID == nil || *older.SourceID != "org_new" || older.Count != 2 || !older.FirstSeen.Equal(base) ||
			!older.LastSeen.Equal(base.Add(time.Hour)) || older.TenantID != nil {
			t.Fatalf("org_new group = %+v", older)
		}
		if later.SourceID == nil || *later.SourceID != "org_later" || later.TenantID == nil || *later.TenantID != tn.ID {
			t.Fatalf("org_later group = %+v, want tenant %d", later, tn.ID)
		}
	})
}

// TestCacheSpacesNudgedReloads: writes arriving every few milliseconds (a
// script creating tenants through the API) share reloads instead of each
// rescanning every tenant, and the last write is still seen.
func TestCacheSpacesNudgedReloads(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := NewCache(db.Gorm, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
		go c.Run(ctx)
		waitCache(t, "the first load", func() bool { return c.reloads.Load() == 1 })
		const writes = 40
		start := time.Now()
		for range writes {
			if err := db.Gorm.Exec("UPDATE tenants_version SET version = version + 1 WHERE id = 1").Error; err != nil {
				t.Fatal(err)
			}
			c.Changed()
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Since(start)
		want := tenantVersion(t, db.Gorm)
		waitCache(t, "the last write", func() bool { return c.Version() == want })
		// One reload per 100 ms at most (minNudgeGap), plus the first and
		// the last: one per write without the gap.
		if got, most := c.reloads.Load(), int64(elapsed/(100*time.Millisecond))+3; got > most {
			t.Fatalf("%d writes over %v caused %d reloads, want at most %d", writes, elapsed, got, most)
		}
	})
}
