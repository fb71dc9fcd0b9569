package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestCLIAudit: a tenant created and an endpoint secret rotated from the
// shell, and the other CLI changes, are on record with actor "cli", the OS
// user as origin, the right tenant and target, and without the secrets the
// commands printed.
func TestCLIAudit(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			var printed strings.Builder
			must := func(args ...string) string {
				t.Helper()
				var out bytes.Buffer
				args = append(args, "--database-url", target.URL)
				if err := run(context.Background(), args, &out); err != nil {
					t.Fatalf("switchboard %s: %v", strings.Join(args, " "), err)
				}
				printed.WriteString(out.String())
				return out.String()
			}
			key := []string{"--secret-key", testKey, "--allow-private-endpoints"}
			id := strings.TrimSpace(must(append([]string{"tenants", "create", "--name", "Acme", "--source-id", "org_cli_audit", "--endpoint", "http://127.0.0.1:9/hook"}, key...)...))
			ep := regexp.MustCompile(`(?m)^(\d+)\s`).FindStringSubmatch(must(append([]string{"endpoints", "list", "--tenant", id}, key...)...))
			if ep == nil {
				t.Fatal("endpoints list shows no endpoint")
			}
			if rotated := must(append([]string{"endpoints", "rotate-secret", "--tenant", id, "--endpoint", ep[1]}, key...)...); !strings.Contains(rotated, "whsec_") {
				t.Fatalf("rotate-secret printed %q", rotated)
			}
			checkCLIEntries(t, target.URL, printed.String(), map[string]string{"tenant.create": "tenant:" + id, "endpoint.rotate_secret": "endpoint:" + ep[1]}, id)

			spec := filepath.Join(t.TempDir(), "mapping.json")
			if err := os.WriteFile(spec, []byte(`{"mode":"passthrough"}`), 0o600); err != nil {
				t.Fatal(err)
			}
			must(append([]string{"tenants", "update", "--tenant", id, "--notes", "n"}, key...)...)
			must(append([]string{"tenants", "pause", "--tenant", id}, key...)...)
			must(append([]string{"endpoints", "update", "--tenant", id, "--endpoint", ep[1], "--description", "d"}, key...)...)
			must("mapping", "set", "--tenant", id, "--endpoint", ep[1], "--file", spec)
			must("correlations", "set", "--tenant", id, "--meeting-code", "m-1", "--attr", "candidate_id=7")
			must(append([]string{"endpoints", "remove", "--tenant", id, "--endpoint", ep[1]}, key...)...)
			checkCLIEntries(t, target.URL, printed.String(), map[string]string{"tenant.update": "tenant:" + id, "tenant.pause": "tenant:" + id,
				"endpoint.update": "endpoint:" + ep[1], "mapping.save": "endpoint:" + ep[1], "correlation.bulk_put": "tenant:" + id,
				"endpoint.delete": "endpoint:" + ep[1]}, id)
		})
	}
}

// checkCLIEntries finds an entry by actor "cli" for each action with its
// target and tenant, and checks no secret the CLI printed is in any entry.
func checkCLIEntries(t *testing.T, url, printed string, want map[string]string, tenant string) {
	t.Helper()
	db := testdb.Open(t, url)
	es, _, err := auth.NewStore(db.Gorm).ListAudit(context.Background(), auth.AuditFilter{Actor: "cli", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]auth.Entry{}
	secrets := regexp.MustCompile(`whsec_\S+`).FindAllString(printed, -1)
	for _, e := range es {
		got[e.Action] = e
		for _, s := range secrets {
			if strings.Contains(optText(e.Before)+optText(e.After), s) {
				t.Errorf("%s entry holds a secret the CLI printed: %s", e.Action, optText(e.After))
			}
		}
	}
	for action, target := range want {
		e, ok := got[action]
		if !ok || e.Target != target || e.TenantID == nil || strconv.FormatInt(*e.TenantID, 10) != tenant || !strings.HasPrefix(e.IP, "local") {
			t.Errorf("%s entry = %+v (found %t), want actor cli, target %s, tenant %s, origin local:<user>", action, e, ok, target, tenant)
		}
	}
}

func optText(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
