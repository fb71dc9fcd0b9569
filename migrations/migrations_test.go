package migrations

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

// TestDialectsMatch: both folders hold the same version numbers, each with
// an Up and a Down section, so the dialects never drift apart.
func TestDialectsMatch(t *testing.T) {
	versions := map[string][]string{}
	for _, dialect := range []string{"postgres", "sqlite"} {
		fsys, err := FS(dialect)
		if err != nil {
			t.Fatal(err)
		}
		names, err := fs.Glob(fsys, "*.sql")
		if err != nil || len(names) == 0 {
			t.Fatalf("%s: no migrations (%v)", dialect, err)
		}
		for _, name := range names {
			b, _ := fs.ReadFile(fsys, name)
			if !strings.Contains(string(b), "-- +goose Up") || !strings.Contains(string(b), "-- +goose Down") {
				t.Errorf("%s/%s lacks an Up or Down section", dialect, name)
			}
			versions[dialect] = append(versions[dialect], strings.SplitN(name, "_", 2)[0])
		}
	}
	if !reflect.DeepEqual(versions["postgres"], versions["sqlite"]) {
		t.Fatalf("postgres versions %v, sqlite versions %v: want the same", versions["postgres"], versions["sqlite"])
	}
}
