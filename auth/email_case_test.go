package auth

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestEmailCaseBeyondASCII: an email stored with capitals beyond ASCII (a
// row written before normalization or by hand: Switchboard itself stores
// emails lower-cased) is found at sign-in in any case, taken for a new
// account, and unique in the index, on both dialects. SQLite's lower()
// folds only A to Z, so there "élodie@…" missed "ÉLODIE@…" and could be
// created beside it, while PostgreSQL's lower() made them one account.
func TestEmailCaseBeyondASCII(t *testing.T) {
	testdb.EachLocale(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.mustUser(t, "admin@example.com", RoleAdmin)
		insertRawUser(t, db, "ÉLODIE@Example.com")

		for _, typed := range []string{"élodie@example.com", "ÉLODIE@EXAMPLE.COM", " Élodie@example.com "} {
			u, err := f.svc.Login(ctx, typed, testPassword, "192.0.2.1")
			if err != nil || u.Email != "ÉLODIE@Example.com" {
				t.Fatalf("sign in as %q: user %v, err %v; want the account stored as ÉLODIE@Example.com", typed, u, err)
			}
		}
		if _, err := f.svc.Store().FindUserByEmail(ctx, "élodie@EXAMPLE.com"); err != nil {
			t.Fatalf("FindUserByEmail: %v", err)
		}
		_, err := f.svc.CreateUser(ctx, &User{Email: "élodie@example.com", Role: RoleViewer}, testPassword)
		if p, ok := problem.As(err); !ok || p.Code != problem.CodeConflict {
			t.Fatalf("create élodie@example.com beside ÉLODIE@Example.com: err = %v, want a conflict", err)
		}
		// The index itself, for rows that skip the store.
		if err := insertUserRow(db, "Élodie@example.com"); !database.IsUniqueViolation(err) {
			t.Fatalf("insert Élodie@example.com beside ÉLODIE@Example.com: err = %v, want a unique violation", err)
		}
		// Through the service, emails are stored lower-cased (beyond ASCII too).
		f.mustUser(t, "ÅSA@example.com", RoleViewer)
		_, err = f.svc.CreateUser(ctx, &User{Email: "åsa@EXAMPLE.com", Role: RoleViewer}, testPassword)
		if p, ok := problem.As(err); !ok || p.Code != problem.CodeConflict {
			t.Fatalf("create åsa@EXAMPLE.com beside ÅSA@example.com: err = %v, want a conflict", err)
		}
		var n int64
		if err := db.Gorm.Table("users").Count(&n).Error; err != nil || n != 3 {
			t.Fatalf("users = %d (err %v), want 3", n, err)
		}
	})
}

// insertRawUser writes a viewer with password testPassword and email as
// given, bypassing Validate's lower-casing.
func insertRawUser(t testing.TB, db *database.DB, email string) {
	t.Helper()
	if err := insertUserRow(db, email); err != nil {
		t.Fatalf("insert %s: %v", email, err)
	}
}

func insertUserRow(db *database.DB, email string) error {
	hash, err := HashPassword(testPassword)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	return db.Gorm.Exec("INSERT INTO users (email, name, password_hash, role, created_at, updated_at) VALUES (?, '', ?, 'viewer', ?, ?)",
		email, hash, now, now).Error
}
