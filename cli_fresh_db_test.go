package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A command pointed at a SQLite file that doesn't exist says it created an
// empty database there (a mistyped --database-url would otherwise write to
// a new database without a word); the next command on it says nothing.
func TestCLINamesTheDatabaseItCreated(t *testing.T) {
	var notices bytes.Buffer
	saved := cliNotices
	cliNotices = &notices
	t.Cleanup(func() { cliNotices = saved })

	path := filepath.Join(t.TempDir(), "typo", "switchboard.db")
	_, must := cliOn(t, "sqlite:"+path)
	must("tenants", "list")
	if got := notices.String(); !strings.Contains(got, "no database at "+path) || !strings.Contains(got, "created an empty one") {
		t.Fatalf("notice after the first command = %q, want it to name %s", got, path)
	}
	notices.Reset()
	must("tenants", "list")
	if notices.Len() != 0 {
		t.Fatalf("notice on an existing database: %q", notices.String())
	}
	// The demo and the load tool create their own databases: no notice.
	db, err := openOwnDB(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "own.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if notices.Len() != 0 {
		t.Fatalf("notice for a database the command chose: %q", notices.String())
	}
}
