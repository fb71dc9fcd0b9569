package auth

import (
	"context"
	"sync"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestLastAdminSurvivesConcurrentDemotions: the two last enabled admins
// demoted (or disabled) at the same moment leave one admin, the other change
// answering 409, on SQLite and PostgreSQL; each check alone saw another
// admin and let its change through.
func TestLastAdminSurvivesConcurrentDemotions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		store := NewStore(db.Gorm)
		ctx := context.Background()
		for round, change := range []UserUpdate{{Role: ptrTo(RoleViewer)}, {Disabled: ptrTo(true)}} {
			var ids [2]int64
			for i := range ids {
				u := &User{Email: string(rune('a'+2*round+i)) + "@example.com", Role: RoleAdmin}
				if _, err := store.CreateUserWithPassword(ctx, u, testPassword); err != nil {
					t.Fatal(err)
				}
				ids[i] = u.ID
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, id := range ids {
				wg.Go(func() { _, _, errs[i] = store.UpdateUser(ctx, id, change) })
			}
			wg.Wait()
			conflicts := 0
			for _, err := range errs {
				if p, ok := problem.As(err); ok && p.Code == problem.CodeConflict {
					conflicts++
				} else if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			var admins int64
			if err := db.Gorm.Model(&User{}).Where("role = ? AND disabled = ?", RoleAdmin, false).Count(&admins).Error; err != nil {
				t.Fatal(err)
			}
			if conflicts != 1 || admins != 1 {
				t.Fatalf("round %d: %d conflicts, %d enabled admins left; want 1 and 1", round, conflicts, admins)
			}
			// Next round: make the survivor an ordinary user again so the new pair are the last two.
			if err := db.Gorm.Model(&User{}).Where("id IN ?", ids[:]).Updates(map[string]any{"role": RoleViewer, "disabled": false}).Error; err != nil {
				t.Fatal(err)
			}
		}
	})
}

func ptrTo[T any](v T) *T { return &v }
