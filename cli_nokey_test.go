package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestEndpointsWithoutKey: on PostgreSQL without SWITCHBOARD_SECRET_KEY
// (SQLite always has its key file) endpoints add says it made no signing
// secret instead of printing an empty one "shown once", and rotate-secret
// is refused instead of printing an empty new secret.
func TestEndpointsWithoutKey(t *testing.T) {
	t.Setenv("SWITCHBOARD_SECRET_KEY", "")
	for _, target := range testdb.Targets(t) {
		if target.Name == "sqlite" {
			continue
		}
		t.Run(target.Name, func(t *testing.T) {
			cli := func(args ...string) (string, error) {
				var out bytes.Buffer
				err := run(context.Background(), append(args, "--database-url", target.URL), &out)
				return out.String(), err
			}
			id, err := cli("tenants", "create", "--name", "Acme", "--source-id", "org_nokey")
			if err != nil {
				t.Fatal(err)
			}
			out, err := cli("endpoints", "add", "--tenant", strings.TrimSpace(id), "--url", "https://93.184.215.14/hook")
			if err != nil || !strings.Contains(out, "added without a signing secret") || strings.Contains(out, "shown once") {
				t.Fatalf("endpoints add printed %q (err %v), want no shown-once secret", out, err)
			}
			endpoint := strings.Fields(out)[1]
			out, err = cli("endpoints", "rotate-secret", "--tenant", strings.TrimSpace(id), "--endpoint", endpoint)
			if err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_SECRET_KEY") || strings.Contains(out, "shown once") {
				t.Fatalf("rotate-secret printed %q (err %v), want it refused for want of the key", out, err)
			}
		})
	}
}
