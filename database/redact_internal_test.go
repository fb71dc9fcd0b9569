package database

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestWhereHidesPasswords opens PostgreSQL with the password in the URL's
// query (pgx reads password= and sslpassword= there as well as in the user
// info) and checks DB.Where, which serve logs, holds neither.
func TestWhereHidesPasswords(t *testing.T) {
	base := os.Getenv("SWITCHBOARD_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("SWITCHBOARD_TEST_POSTGRES_URL is not set")
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	for _, raw := range []string{base + sep + "password=hunter2-query", base + sep + "sslpassword=hunter2-ssl&password=hunter2-query"} {
		db, err := Open(context.Background(), raw)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		db.Close()
		if strings.Contains(db.Where, "hunter2") {
			t.Fatalf("Where = %q, want no password", db.Where)
		}
		if !strings.Contains(db.Where, "127.0.0.1") && !strings.Contains(db.Where, "localhost") && !strings.Contains(db.Where, "@") {
			t.Fatalf("Where = %q, want it to still say where the database is", db.Where)
		}
	}
	for raw, want := range map[string]string{
		"postgres://u:pw@h/db":                    "postgres://u:xxxxx@h/db",
		"postgres://u@h/db?password=pw&sslmode=x": "postgres://u@h/db?password=xxxxx&sslmode=x",
		"postgres://h/db?sslpassword=pw":          "postgres://h/db?sslpassword=xxxxx",
		"postgres://h/db?sslmode=disable":         "postgres://h/db?sslmode=disable",
	} {
		if got := redactURL(raw); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}
