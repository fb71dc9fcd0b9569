package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestCLIAudit: a tenant created and an endpoint secret rotated from the
// shell are on record with actor "cli", the OS user as origin, the right
// tenant and target, and without the secret the commands printed.
func TestCLIAudit(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			must := func(args ...string) string {
				t.Helper()
				var out bytes.Buffer
				args = append(args, "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints")
				if err := run(context.Background(), args, &out); err != nil {
					t.Fatalf("switchboard %s: %v", strings.Join(args, " "), err)
				}
				return out.String()
			}
			id := strings.TrimSpace(must("tenants", "create", "--name", "Acme", "--source-id", "org_cli_audit", "--endpoint", "http://127.0.0.1:9/hook"))
			eps := must("endpoints", "list", "--tenant", id)
			epID := regexp.MustCompile(`(?m)^\s*(\d+)\s`).FindStringSubmatch(eps)
			if epID == nil {
				t.Fatalf("endpoints list:\n%s", eps)
			}
			rotated := must("endpoints", "rotate-secret", "--tenant", id, "--endpoint", epID[1])
			secret := regexp.MustCompile(`whsec_\S+`).FindString(rotated)
			if secret == "" {
				t.Fatalf("rotate-secret printed %q", rotated)
			}
			db := testdb.Open(t, target.URL)
			es, _, err := auth.NewStore(db.Gorm).ListAudit(context.Background(), auth.AuditFilter{Actor: "cli"})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]auth.Entry{}
			for _, e := range es {
				got[e.Action] = e
				if strings.Contains(optText(e.Before)+optText(e.After), secret) {
					t.Errorf("%s entry holds the rotated secret: %s", e.Action, optText(e.After))
				}
			}
			for action, target := range map[string]string{"tenant.create": "tenant:" + id, "endpoint.rotate_secret": "endpoint:" + epID[1]} {
				e, ok := got[action]
				if !ok || e.Target != target || e.TenantID == nil || fmtID(*e.TenantID) != id || !strings.HasPrefix(e.IP, "local") {
					t.Errorf("%s entry = %+v (found %t), want actor cli, target %s, tenant %s, origin local:<user>", action, e, ok, target, id)
				}
			}
		})
	}
}

func optText(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func fmtID(id int64) string { return strconv.FormatInt(id, 10) }
