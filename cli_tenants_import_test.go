package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestTenantsImportCommand: tenants import creates every tenant of the file
// (or of stdin) and prints ids, never signing secrets; a file with refused
// items, a dry run or an endpoint the SSRF guard refuses writes nothing,
// and the error lists every refused field.
func TestTenantsImportCommand(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			cli, must := cliOn(t, target.URL)
			db := testdb.Open(t, target.URL)
			dir := t.TempDir()
			file := func(name, body string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			must("tenants", "create", "--name", "Existing", "--source-id", "org_cli_taken")
			good := file("good.json", `{"tenants":[{"name":"One","source_id":"org_cli_1","endpoints":[{"url":"https://93.184.215.14/one"}]},`+
				`{"name":"Two","source_id":"org_cli_2","status":"paused","endpoints":[{"url":"https://93.184.215.14/two"}]}]}`)
			refusals := []struct {
				name string
				args []string
				want []string
			}{
				{"bad and repeated items", []string{"--file", file("bad.json", `{"tenants":[{"name":"","source_id":"org_cli_3"},`+
					`{"name":"Dup","source_id":"org_cli_4"},{"name":"Dup","source_id":"org_cli_4"}]}`)},
					[]string{"tenants[0].name: is required", "tenants[2].source_id: repeats tenants[1].source_id"}},
				{"taken sourceId", []string{"--file", file("taken.json", `{"tenants":[{"name":"T","source_id":"org_cli_taken"}]}`)},
					[]string{"tenants[0].source_id: is taken by another tenant"}},
				{"loopback endpoint", []string{"--file", file("ssrf.json", `{"tenants":[{"name":"L","source_id":"org_cli_5","endpoints":[{"url":"http://127.0.0.1/x"}]}]}`)},
					[]string{"tenants[0].endpoints[0].url", "loopback"}},
				{"unknown field", []string{"--file", file("typo.json", `{"tenants":[{"name":"U","source_id":"org_cli_6","colour":"red"}]}`)},
					[]string{`unknown field "colour"`}},
				{"no file", nil, []string{"--file F is required"}},
			}
			for _, tc := range refusals {
				_, err := cli(append([]string{"tenants", "import"}, tc.args...)...)
				for _, want := range tc.want {
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, want)
					}
				}
			}
			if out := must("tenants", "import", "--file", good, "--dry-run"); !strings.Contains(out, "2 tenants are valid; nothing was written") {
				t.Errorf("dry run printed %q", out)
			}
			if n := countRows(t, db, "SELECT COUNT(*) FROM tenants"); n != 1 {
				t.Fatalf("%d tenants after refusals and a dry run, want only the existing one", n)
			}
			out := withStdin(t, good, func() string { return must("tenants", "import", "--file", "-") })
			if !regexp.MustCompile(`(?m)^\d+\s+org_cli_1\s+1$`).MatchString(out) || !regexp.MustCompile(`(?m)^\d+\s+org_cli_2\s+1$`).MatchString(out) ||
				!strings.Contains(out, "imported 2 tenants with 2 endpoints, 2 of them with a new signing secret") || strings.Contains(out, "whsec_") {
				t.Fatalf("import printed:\n%s\nwant each id with its sourceId and a summary without secrets", out)
			}
			if n := countRows(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'tenant.create' AND actor = 'cli'"); n != 3 {
				t.Errorf("tenant.create entries by cli = %d, want 3 (one create, two imported)", n)
			}
			if n := countRows(t, db, "SELECT COUNT(*) FROM tenants WHERE source_id = 'org_cli_2' AND status = 'paused'"); n != 1 {
				t.Errorf("org_cli_2 paused: %d rows, want 1", n)
			}
		})
	}
}

// withStdin runs fn with os.Stdin reading path.
func withStdin(t *testing.T, path string, fn func() string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	return fn()
}
