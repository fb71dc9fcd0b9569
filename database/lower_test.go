package database_test

import (
	"context"
	"os"
	"testing"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestCaseFold: each database says how it folds case, and Lower folds
// "ÄÉÖ" to "äéö" wherever it can: SQLite through unicode_lower, a
// PostgreSQL database with a UTF-8 locale through its own lower(), and one
// created with LC_CTYPE C (whose lower() changes only A to Z) through
// ICU's root collation when the server has ICU. The searches that use it
// are tested on all three (testdb.EachLocale).
func TestCaseFold(t *testing.T) {
	check := func(t *testing.T, db *database.DB, want database.CaseFold) {
		t.Helper()
		if db.CaseFold != want {
			t.Fatalf("CaseFold = %q, want %q", db.CaseFold, want)
		}
		var got string
		if err := db.Gorm.Raw("SELECT "+database.Lower(db.Gorm, "?"), "ÄÉÖ Zoë").Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		wantText := "äéö zoë"
		if want == database.FoldASCII {
			wantText = "ÄÉÖ zoë"
		}
		if got != wantText {
			t.Fatalf("Lower(%q) = %q, want %q", "ÄÉÖ Zoë", got, wantText)
		}
		// Inside a transaction too: Lower reads the setting from the
		// dialector every session and transaction shares.
		err := db.Gorm.Transaction(func(tx *gorm.DB) error {
			return tx.Raw("SELECT "+database.Lower(tx, "?"), "ÄÉÖ Zoë").Scan(&got).Error
		})
		if err != nil || got != wantText {
			t.Fatalf("in a transaction: Lower = %q (err %v), want %q", got, err, wantText)
		}
	}
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			check(t, testdb.Open(t, target.URL), database.FoldUnicode)
		})
	}
	if os.Getenv(testdb.PostgresEnv) == "" {
		return
	}
	t.Run("postgres-c-locale", func(t *testing.T) {
		db := testdb.Open(t, testdb.NewPostgresCLocaleURL(t))
		var icu bool
		if err := db.SQL.QueryRowContext(context.Background(),
			`SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')`).Scan(&icu); err != nil {
			t.Fatal(err)
		}
		want := database.FoldASCII
		if icu {
			want = database.FoldICU
		}
		check(t, db, want)
	})
}
