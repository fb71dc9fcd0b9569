package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestStrayArgumentRefused: a word where a flag should be stops the command
// before it does anything. The flag package used to stop parsing there, so
// "tenants update --tenant 1 oops --name Evil" printed "tenant 1 updated"
// and changed nothing, and the flags after the word were never read.
func TestStrayArgumentRefused(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			_, must := cliOn(t, target.URL)
			id := strings.TrimSpace(must("tenants", "create", "--name", "Acme", "--source-id", "org_stray"))
			db := []string{"--database-url", target.URL}
			// Without the refusal, "import --file a.json b.json" imported a.json and ignored b.json.
			importFile := filepath.Join(t.TempDir(), "one.json")
			if err := os.WriteFile(importFile, []byte(`{"tenants":[{"name":"Stray","source_id":"org_stray_import"}]}`), 0o600); err != nil {
				t.Fatal(err)
			}
			withDB := func(cmd ...string) []string { return append(cmd[:2:2], append(db, cmd[2:]...)...) }
			cases := []struct {
				name string
				args []string
			}{
				{"tenants update", withDB("tenants", "update", "--tenant", id, "oops", "--name", "Evil")},
				{"tenants pause", withDB("tenants", "pause", "--tenant", id, "oops")},
				{"tenants list", withDB("tenants", "list", "oops")},
				{"tenants import", withDB("tenants", "import", "--file", importFile, "oops", "--dry-run")},
				{"endpoints list", withDB("endpoints", "list", "--tenant", id, "oops")},
				{"deliveries list", withDB("deliveries", "list", "oops")},
				{"events list", withDB("events", "list", "oops")},
				{"users list", withDB("users", "list", "oops")},
				{"sources list", withDB("sources", "list", "oops")},
				{"mapping ops", []string{"mapping", "ops", "oops"}},
				{"version", []string{"version", "oops"}},
			}
			for _, tc := range cases {
				var out bytes.Buffer
				err := run(context.Background(), tc.args, &out)
				if err == nil || !strings.Contains(err.Error(), `unexpected argument "oops"`) {
					t.Errorf("%s: err = %v (printed %q), want the stray argument refused", tc.name, err, out.String())
				}
			}
			show := must("tenants", "show", "--tenant", id)
			if !strings.Contains(show, "Acme") || strings.Contains(show, "Evil") || !strings.Contains(show, "active") {
				t.Fatalf("after refused commands the tenant reads:\n%s\nwant it unchanged", show)
			}
		})
	}
}
