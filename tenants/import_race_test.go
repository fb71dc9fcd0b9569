package tenants

import (
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestImportRaceNamesTakenSourceIDs: a sourceId another tenant takes after
// the import's check, before its insert, is refused with a 409 that names
// each such item as tenants[i].source_id, as the check itself does, and
// nothing of the import is written. The unique violation alone answered a
// 409 that named no item ("send it again to see which").
func TestImportRaceNamesTakenSourceIDs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ed := NewEditor(NewStore(db.Gorm), testRing(t), refuseLoopback{}, testEventTypes)
		app := newTestApp(NewHandler(ed, &countingHeld{}), auth.NewStore(db.Gorm), 0)
		const hook = "https://ats.example/hook"
		cases := []struct {
			name      string
			sources   []string
			racers    []string // created by another writer between check and insert
			wantField []string
		}{
			{"two of four taken", []string{"org_r1", "org_r2", "org_r3", "org_r4"}, []string{"org_r4", "org_r2"},
				[]string{`"field":"tenants[1].source_id"`, `"field":"tenants[3].source_id"`}},
			{"a single item", []string{"org_solo"}, []string{"org_solo"}, []string{`"field":"tenants[0].source_id"`}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ed.beforeImportWrite = func() {
					for _, s := range tc.racers {
						mustCreateTenant(t, ed, "Racer "+s, s, StatusActive)
					}
				}
				t.Cleanup(func() { ed.beforeImportWrite = nil })
				before := readImportState(t, db.Gorm)
				status, body := importCall(t, app, "admin", importBody(hook, tc.sources...))
				if status != 409 {
					t.Fatalf("status = %d, want 409: %.600s", status, body)
				}
				for _, want := range append(tc.wantField, "is taken by another tenant") {
					if !strings.Contains(body, want) {
						t.Errorf("answer lacks %s: %.600s", want, body)
					}
				}
				if n := strings.Count(body, `"field":`); n != len(tc.racers) {
					t.Errorf("answer names %d fields, want %d: %.600s", n, len(tc.racers), body)
				}
				after := readImportState(t, db.Gorm)
				if racers := int64(len(tc.racers)); after.tenants != before.tenants+racers || after.endpoints != before.endpoints {
					t.Errorf("tenants %d → %d, endpoints %d → %d; want only the %d racing tenants added", before.tenants, after.tenants,
						before.endpoints, after.endpoints, racers)
				}
			})
		}
	})
}
