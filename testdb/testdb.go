// Package testdb gives tests real, migrated databases: a SQLite file in a
// temp folder always, and a fresh PostgreSQL database per test when
// SWITCHBOARD_TEST_POSTGRES_URL names a server (CI sets it). It is imported
// only by tests.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
)

// PostgresEnv names the variable holding an admin URL of a PostgreSQL server
// on which tests may create and drop databases.
const PostgresEnv = "SWITCHBOARD_TEST_POSTGRES_URL"

// Target is a database URL a test may hand to Switchboard, with a name for t.Run.
type Target struct {
	Name string
	URL  string
}

// Targets returns a fresh, empty database for each available dialect: SQLite
// always, PostgreSQL when PostgresEnv is set. Each is removed when t ends.
func Targets(t testing.TB) []Target {
	t.Helper()
	out := []Target{{Name: "sqlite", URL: "sqlite:" + filepath.Join(t.TempDir(), "switchboard.db")}}
	if os.Getenv(PostgresEnv) != "" {
		out = append(out, Target{Name: "postgres", URL: NewPostgresURL(t)})
	}
	return out
}

// Each runs fn as a subtest on every target, with the database opened and migrated.
func Each(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, target := range Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			fn(t, Open(t, target.URL))
		})
	}
}

// Open opens and migrates the database at rawURL and closes it when t ends.
func Open(t testing.TB, rawURL string) *database.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := database.Open(ctx, rawURL)
	if err != nil {
		t.Fatalf("open %s: %v", rawURL, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// EachLocale is Each plus, when PostgreSQL is available, a PostgreSQL
// database created with LC_CTYPE C, whose own lower() folds only ASCII:
// for tests of case-insensitive searches beyond ASCII.
func EachLocale(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	Each(t, fn)
	if os.Getenv(PostgresEnv) != "" {
		t.Run("postgres-c-locale", func(t *testing.T) {
			fn(t, Open(t, NewPostgresCLocaleURL(t)))
		})
	}
}

// NewPostgresCLocaleURL is NewPostgresURL for a database created with
// LC_COLLATE and LC_CTYPE C (UTF-8 encoded), as `initdb --locale=C` makes them.
func NewPostgresCLocaleURL(t testing.TB) string {
	t.Helper()
	return newPostgresURL(t, " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
}

// NewPostgresURL creates an empty database on the server named by
// PostgresEnv and drops it (forcefully) when t ends.
func NewPostgresURL(t testing.TB) string {
	t.Helper()
	return newPostgresURL(t, "")
}

func newPostgresURL(t testing.TB, createOptions string) string {
	t.Helper()
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		t.Fatalf("%s is not set", PostgresEnv)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "switchboard_test_" + hex.EncodeToString(b[:])
	adminDB, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	defer adminDB.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := adminDB.ExecContext(ctx, "CREATE DATABASE "+name+createOptions); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
