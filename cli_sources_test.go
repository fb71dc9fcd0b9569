package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestSourcesRotateOverlapCLI: sources rotate refuses an overlap past the
// 720h cap (naming --overlap) and adds no secret; the cap itself is fine.
func TestSourcesRotateOverlapCLI(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			db, key := "--database-url="+target.URL, "--secret-key="+testKey
			if out := runCLI(t, "sources", "create", db, key, "--name", "TalentFlow"); !strings.Contains(out, "source 1 created") {
				t.Fatalf("create: %q", out)
			}
			var out bytes.Buffer
			err := run(context.Background(), []string{"sources", "rotate", db, key, "--id", "1", "--overlap", "721h"}, &out)
			if err == nil || !strings.Contains(err.Error(), "--overlap must be between 0 and 720h") {
				t.Fatalf("rotate with 721h: err %v, want the --overlap range", err)
			}
			if out := runCLI(t, "sources", "rotate", db, key, "--id", "1", "--overlap", "720h"); !strings.Contains(out, "previous secrets stay valid until") {
				t.Fatalf("rotate at the cap: %q", out)
			}
			if list := runCLI(t, "sources", "list", db, key); strings.Count(list, "whsec_") != 2 {
				t.Fatalf("after one refused and one accepted rotation, want 2 secrets:\n%s", list)
			}
		})
	}
}
