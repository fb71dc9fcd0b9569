package tenants

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestUnroutedScope: a caller limited to a tenant sees the events held for
// that tenant's current sourceId and no other unrouted event (another
// tenant's sourceId, a sourceId no tenant owns, none at all), in the
// groups, in ScopeEvents and in EventVisible. The model keeps no earlier
// sourceIds: once the tenant's sourceId changes, the events held for the
// old one are no longer its own.
func TestUnroutedScope(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		a := mustCreateTenant(t, ed, "A", "org_a", StatusActive)
		b := mustCreateTenant(t, ed, "B", "org_b", StatusActive)
		ids := map[string]int64{}
		for _, src := range []*string{ptr("org_a"), ptr("org_b"), ptr("org_nobody"), nil} {
			var id int64
			err := db.Gorm.Raw("INSERT INTO events (event_type, meeting_code, source_id, revision, fingerprint, body, received_at) VALUES ('interview.scores', 'm', ?, 1, 'f', ?, ?) RETURNING id",
				src, []byte("{}"), time.Now().UTC()).Scan(&id).Error
			if err != nil {
				t.Fatal(err)
			}
			ids[deref(src)] = id
		}
		visible := func(scope []int64) []string {
			t.Helper()
			var rows []struct {
				ID       int64
				SourceID *string
			}
			if err := ScopeEvents(db.Gorm.Table("events"), scope).Select("id, source_id").Order("id").Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rows {
				ok, err := EventVisible(ctx, db.Gorm, scope, nil, r.SourceID)
				if err != nil || !ok {
					t.Errorf("EventVisible(%v, %q) = %v, %v; ScopeEvents lists it", scope, deref(r.SourceID), ok, err)
				}
				out = append(out, deref(r.SourceID))
			}
			groups, err := ed.ListUnrouted(ctx, scope, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != len(out) {
				t.Errorf("ListUnrouted(%v) = %d groups, ScopeEvents %v", scope, len(groups), out)
			}
			return out
		}
		for _, tc := range []struct {
			name  string
			scope []int64
			want  []string
		}{
			{"unscoped", nil, []string{"org_a", "org_b", "org_nobody", ""}},
			{"A", []int64{a.ID}, []string{"org_a"}},
			{"B", []int64{b.ID}, []string{"org_b"}},
			{"A and B", []int64{a.ID, b.ID}, []string{"org_a", "org_b"}},
			{"empty scope", []int64{}, nil},
		} {
			if got := visible(tc.scope); !slices.Equal(got, tc.want) {
				t.Errorf("%s: sees held events of %q, want %q", tc.name, got, tc.want)
			}
		}
		for _, src := range []*string{ptr("org_b"), ptr("org_nobody"), nil} {
			if ok, err := EventVisible(ctx, db.Gorm, []int64{a.ID}, nil, src); ok || err != nil {
				t.Errorf("EventVisible(A, %q) = %v, %v; want false", deref(src), ok, err)
			}
		}
		if _, err := ed.UpdateTenant(ctx, a.ID, TenantUpdate{SourceID: ptr("org_a_renamed")}); err != nil {
			t.Fatal(err)
		}
		if got := visible([]int64{a.ID}); got != nil {
			t.Errorf("after A's sourceId changed, A sees held events of %q, want none", got)
		}
	})
}
