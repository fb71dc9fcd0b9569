package tenants

import (
	"context"
	"fmt"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

func TestListTenants(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		var ids []int64
		for i, name := range []string{"Delta", "alpha", "Charlie", "bravo", "Echo 100%"} {
			status := StatusActive
			if i%2 == 1 {
				status = StatusPaused
			}
			ids = append(ids, mustCreateTenant(t, ed, name, fmt.Sprintf("org_%d", i), status).ID)
		}
		names := func(f TenantFilter) []string {
			t.Helper()
			var out []string
			for {
				ts, next, err := ed.ListTenants(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, tn := range ts {
					out = append(out, tn.Name)
				}
				if next == "" {
					return out
				}
				f.After = next
			}
		}
		cases := []struct {
			name string
			f    TenantFilter
			want string
		}{
			{name: "all by id, pages of 2", f: TenantFilter{Limit: 2}, want: "[Delta alpha Charlie bravo Echo 100%]"},
			{name: "by name, pages of 2", f: TenantFilter{Sort: "name", Limit: 2}, want: "[Charlie Delta Echo 100% alpha bravo]"},
			{name: "by name descending", f: TenantFilter{Sort: "-name", Limit: 3}, want: "[bravo alpha Echo 100% Delta Charlie]"},
			{name: "by id descending", f: TenantFilter{Sort: "-id", Limit: 4}, want: "[Echo 100% bravo Charlie alpha Delta]"},
			{name: "search is case-insensitive", f: TenantFilter{Search: "CHAR"}, want: "[Charlie]"},
			{name: "search matches source id", f: TenantFilter{Search: "org_3"}, want: "[bravo]"},
			{name: "search escapes %", f: TenantFilter{Search: "0%"}, want: "[Echo 100%]"},
			{name: "status filter", f: TenantFilter{Status: StatusPaused, Limit: 1}, want: "[alpha bravo]"},
			{name: "scope", f: TenantFilter{TenantIDs: []int64{ids[2], ids[4]}}, want: "[Charlie Echo 100%]"},
			{name: "empty scope sees nothing", f: TenantFilter{TenantIDs: []int64{}}, want: "[]"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if got := fmt.Sprint(names(tc.f)); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
			})
		}
		for _, bad := range []TenantFilter{{Sort: "notes"}, {Status: "gone"}, {After: "!!"}} {
			if _, _, err := ed.ListTenants(ctx, bad); !isInvalid(err) {
				t.Errorf("filter %+v: err = %v, want invalid", bad, err)
			}
		}
	})
}

func isInvalid(err error) bool {
	p, ok := problem.As(err)
	return ok && p.Code == problem.CodeInvalid
}

func TestUpdateAndDeleteTenant(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		a := mustCreateTenant(t, ed, "A", "org_a", StatusActive)
		b := mustCreateTenant(t, ed, "B", "org_b", StatusActive)
		v0 := tenantVersion(t, db.Gorm)
		got, err := ed.UpdateTenant(ctx, a.ID, TenantUpdate{Name: ptr(" A2 "), Notes: ptr("vip"), Status: ptr(StatusPaused)})
		if err != nil || got.Name != "A2" || got.Notes != "vip" || got.Status != StatusPaused || !got.CreatedAt.Equal(a.CreatedAt.Truncate(0)) && got.CreatedAt.IsZero() {
			t.Fatalf("update = %+v, %v", got, err)
		}
		if v := tenantVersion(t, db.Gorm); v != v0+1 {
			t.Fatalf("version = %d, want %d (bumped by the update)", v, v0+1)
		}
		if _, err := ed.UpdateTenant(ctx, a.ID, TenantUpdate{SourceID: ptr("org_b")}); !isCode(err, problem.CodeConflict) {
			t.Fatalf("taking another tenant's sourceId: err = %v, want conflict", err)
		}
		if _, err := ed.UpdateTenant(ctx, a.ID, TenantUpdate{Status: ptr(Status("gone"))}); !isInvalid(err) {
			t.Fatalf("bad status: err = %v, want invalid", err)
		}
		if _, err := ed.UpdateTenant(ctx, 9999, TenantUpdate{}); !isNotFound(err) {
			t.Fatalf("missing tenant: err = %v, want not found", err)
		}
		if err := db.Gorm.Exec("INSERT INTO events (event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body, received_at) VALUES ('interview.scores', 'm1', 'org_b', ?, 1, 'f', ?, ?)",
			b.ID, []byte("{}"), a.CreatedAt).Error; err != nil {
			t.Fatal(err)
		}
		if err := ed.DeleteTenant(ctx, b.ID); !isCode(err, problem.CodeConflict) {
			t.Fatalf("deleting a tenant with history: err = %v, want conflict", err)
		}
		if err := ed.DeleteTenant(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := ed.FindTenant(ctx, a.ID); !isNotFound(err) {
			t.Fatalf("deleted tenant: err = %v, want not found", err)
		}
	})
}

func isCode(err error, c problem.Code) bool {
	p, ok := problem.As(err)
	return ok && p.Code == c
}
