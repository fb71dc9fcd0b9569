package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestMigrateDownCLI: "migrate down --to N --database-url X" rolls our
// newest two migrations on X back, newest first, printing each step, leaves
// River's applied, and "migrate up" brings them back. Without --to, above
// the current version, or with its flags before the action, it refuses;
// a second run does nothing and says so.
func TestMigrateDownCLI(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			runCLI(t, "migrate", "--database-url", target.URL)
			latest := newestMigration(t, target.URL)
			to := strconv.FormatInt(latest-2, 10)
			for _, args := range [][]string{
				{"migrate", "down", "--database-url", target.URL},
				{"migrate", "down", "--to", strconv.FormatInt(latest+1, 10), "--database-url", target.URL},
				{"migrate", "--database-url", target.URL, "down", "--to", to},
			} {
				if _, err := runCLIErr(args...); err == nil {
					t.Errorf("%v: no error, want a refusal", args)
				}
			}
			if pending := pendingMigrations(t, target.URL); len(pending) != 0 {
				t.Fatalf("refused downs rolled back %v", pending)
			}
			out := runCLI(t, "migrate", "down", "--to", to, "--database-url", target.URL)
			var steps []string
			for _, v := range []int64{latest, latest - 1} {
				steps = append(steps, fmt.Sprintf("rolling back switchboard migration %d (%05d_", v, v), fmt.Sprintf("rolled back switchboard migration %d in", v))
			}
			if !inOrder(out, steps) {
				t.Errorf("down --to %s printed:\n%s\nwant, in order: %q", to, out, steps)
			}
			want := fmt.Sprintf("switchboard %d,switchboard %d", latest-1, latest)
			if got := pendingMigrations(t, target.URL); strings.Join(got, ",") != want {
				t.Errorf("pending after down --to %s: %v, want %s", to, got, want)
			}
			if out := runCLI(t, "migrate", "down", "--to", to, "--database-url", target.URL); !strings.Contains(out, "already at version "+to) {
				t.Errorf("second down --to %s printed %q, want it to say nothing was done", to, out)
			}
			runCLI(t, "migrate", "up", "--database-url", target.URL)
			if pending := pendingMigrations(t, target.URL); len(pending) != 0 {
				t.Errorf("pending after up: %v", pending)
			}
		})
	}
}

// newestMigration is the highest version of ours `migrate status` lists.
func newestMigration(t *testing.T, url string) int64 {
	t.Helper()
	var newest int64
	for _, line := range strings.Split(runCLI(t, "migrate", "status", "--database-url", url), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == "switchboard" {
			v, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("status line %q: %v", line, err)
			}
			newest = max(newest, v)
		}
	}
	return newest
}

// pendingMigrations lists "COMPONENT VERSION" of each migration that
// `migrate status` reports pending.
func pendingMigrations(t *testing.T, url string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(runCLI(t, "migrate", "status", "--database-url", url), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[3] == "pending" {
			out = append(out, f[0]+" "+f[1])
		}
	}
	return out
}

func inOrder(s string, parts []string) bool {
	for _, p := range parts {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}
