package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestTenantAndEndpointCLI drives every tenants/endpoints action through
// run, on each database, and checks secrets are shown once and never listed.
func TestTenantAndEndpointCLI(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			cli, must := cliOn(t, target.URL)
			id := strings.TrimSpace(must("tenants", "create", "--name", "Acme", "--source-id", "org_cli", "--notes", "pilot"))
			if !regexp.MustCompile(`^\d+$`).MatchString(id) {
				t.Fatalf("tenants create printed %q, want only the id", id)
			}
			if _, err := cli("endpoints", "add", "--tenant", id, "--url", "http://127.0.0.1:9/hook"); err == nil || !strings.Contains(err.Error(), "url") {
				t.Fatalf("loopback endpoint without --allow-private-endpoints: err = %v", err)
			}
			tokenFile := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(tokenFile, []byte("tok-very-secret-123\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out := must("endpoints", "add", "--tenant", id, "--url", "https://93.184.215.14/hook", "--subscribe", "interview.scores",
				"--auth-type", "bearer", "--auth-secret-file", tokenFile, "--header", "X-Customer=42", "--timeout", "5s", "--max-attempts", "4", "--method", "put")
			m := regexp.MustCompile(`endpoint (\d+) added\nsigning secret \(shown once, store it now\): (whsec_\S+)`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("endpoints add printed %q", out)
			}
			epID, secret := m[1], m[2]
			list := must("endpoints", "list", "--tenant", id)
			if !strings.Contains(list, "interview.scores") || !strings.Contains(list, "bearer") || !strings.Contains(list, " PUT ") || strings.Count(list, "set 20") != 2 ||
				strings.Contains(list, "tok-very-secret") || strings.Contains(list, secret) {
				t.Fatalf("endpoints list:\n%s", list)
			}
			rotated := must("endpoints", "rotate-secret", "--tenant", id, "--endpoint", epID, "--overlap", "1h")
			if !strings.Contains(rotated, "whsec_") || strings.Contains(rotated, secret) {
				t.Fatalf("rotate-secret printed %q", rotated)
			}
			if _, err := cli("endpoints", "update", "--tenant", id, "--endpoint", epID, "--method", "DELETE"); err == nil || !strings.Contains(err.Error(), "method") {
				t.Fatalf("--method DELETE: err = %v, want it refused naming method", err)
			}
			must("endpoints", "update", "--tenant", id, "--endpoint", epID, "--enabled=false")
			if list := must("endpoints", "list", "--tenant", id); !strings.Contains(list, "false") || !strings.Contains(list, "bearer") {
				t.Fatalf("after update:\n%s", list)
			}
			must("tenants", "update", "--tenant", id, "--notes", "signed", "--inbound-secret-file", tokenFile)
			must("tenants", "pause", "--tenant", id)
			if show := must("tenants", "show", "--tenant", id); !strings.Contains(show, "paused") || !strings.Contains(show, "signed") ||
				!regexp.MustCompile(`inbound_secret:\s+set`).MatchString(show) || strings.Contains(show, "tok-very-secret") {
				t.Fatalf("tenants show:\n%s", show)
			}
			if list := must("tenants", "list", "--search", "acm", "--status", "paused"); !strings.Contains(list, "org_cli") {
				t.Fatalf("tenants list --search:\n%s", list)
			}
			if list := must("tenants", "list", "--status", "active"); strings.Contains(list, "org_cli") {
				t.Fatalf("tenants list --status active shows a paused tenant:\n%s", list)
			}
			if _, err := cli("tenants", "create", "--name", "Dup", "--source-id", "org_cli"); err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Fatalf("duplicate sourceId: err = %v", err)
			}
			must("endpoints", "remove", "--tenant", id, "--endpoint", epID)
			must("tenants", "delete", "--tenant", id)
			if _, err := cli("tenants", "show", "--tenant", id); err == nil || !strings.Contains(err.Error(), "not found") {
				t.Fatalf("deleted tenant: err = %v", err)
			}
		})
	}
}

// TestParseHeaderFlags: --header Name=value, repeatable; the same name twice
// is refused rather than keeping the last value.
func TestParseHeaderFlags(t *testing.T) {
	if h, err := parseHeaders([]string{"X-A=1", "X-B=x=y"}); err != nil || h["X-A"] != "1" || h["X-B"] != "x=y" {
		t.Fatalf("parseHeaders = %v, %v", h, err)
	}
	if _, err := parseHeaders([]string{"X-A=1", "X-A=2"}); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Fatalf("a repeated name: err = %v", err)
	}
}

// TestEndpointOAuth2CLI: endpoints add/update take the oauth2 settings
// (--token-url, --client-id, --auth-secret-file for the client secret,
// --scopes, --token-param, --client-auth); the listing shows them and the
// secret only as set, and a new token URL needs the secret again.
func TestEndpointOAuth2CLI(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			cli, must := cliOn(t, target.URL)
			id := strings.TrimSpace(must("tenants", "create", "--name", "Acme", "--source-id", "org_cli_oauth"))
			secretFile := filepath.Join(t.TempDir(), "client-secret")
			if err := os.WriteFile(secretFile, []byte("cs-very-secret-77\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out := must("endpoints", "add", "--tenant", id, "--url", "https://93.184.215.14/v3/notes", "--auth-type", "oauth2",
				"--token-url", "https://93.184.215.14/token", "--client-id", "cid-1", "--auth-secret-file", secretFile,
				"--scopes", "harvest:notes:create,harvest:candidates:read", "--token-param", "sub=42")
			epID := regexp.MustCompile(`endpoint (\d+) added`).FindStringSubmatch(out)[1]
			want := `endpoint ` + epID + ` oauth2: token_url https://93.184.215.14/token, client_id cid-1, scopes "harvest:notes:create harvest:candidates:read", token params "sub=42", client auth basic`
			if show := must("tenants", "show", "--tenant", id); !strings.Contains(show, want) || !strings.Contains(show, "oauth2") ||
				strings.Contains(show, "cs-very-secret") || !regexp.MustCompile(`oauth2\s+set 20`).MatchString(show) {
				t.Fatalf("tenants show:\n%s\nwant a line %q and the secret only as set", show, want)
			}
			if _, err := cli("endpoints", "update", "--tenant", id, "--endpoint", epID, "--token-url", "https://93.184.215.15/token"); err == nil ||
				!strings.Contains(err.Error(), "auth_secret") {
				t.Fatalf("new token URL without the secret: err = %v, want auth_secret refused", err)
			}
			must("endpoints", "update", "--tenant", id, "--endpoint", epID, "--client-auth", "body", "--scopes", "")
			if list := must("endpoints", "list", "--tenant", id); !strings.Contains(list, `scopes "", token params "sub=42", client auth body`) {
				t.Fatalf("after update:\n%s", list)
			}
		})
	}
}

// TestEndpointBullhornCLI: endpoints add/update take the bullhorn settings
// (--client-id, --auth-secret-file for the client secret, --bullhorn-user,
// --bullhorn-password-file, --bullhorn-login-info-url,
// --bullhorn-redirect-uri); the listing shows them and the secrets only as
// set, and a new loginInfo URL needs both secrets again.
func TestEndpointBullhornCLI(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			cli, must := cliOn(t, target.URL)
			id := strings.TrimSpace(must("tenants", "create", "--name", "Acme", "--source-id", "org_cli_bh"))
			dir := t.TempDir()
			secretFile, passwordFile := filepath.Join(dir, "client-secret"), filepath.Join(dir, "password")
			if err := os.WriteFile(secretFile, []byte("bh-cs-cli-secret-1\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(passwordFile, []byte("bh-pw-cli-secret-2\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := cli("endpoints", "add", "--tenant", id, "--url", "{{bullhorn.rest_url}}entity/Note", "--auth-type", "bullhorn",
				"--client-id", "bh-cid", "--auth-secret-file", secretFile, "--bullhorn-user", "api.user"); err == nil || !strings.Contains(err.Error(), "bullhorn_password") {
				t.Fatalf("add without the password: err = %v, want bullhorn_password refused", err)
			}
			out := must("endpoints", "add", "--tenant", id, "--url", "{{bullhorn.rest_url}}entity/Note", "--method", "PUT", "--auth-type", "bullhorn",
				"--client-id", "bh-cid", "--auth-secret-file", secretFile, "--bullhorn-user", "api.user", "--bullhorn-password-file", passwordFile,
				"--bullhorn-login-info-url", "https://93.184.215.14/rest-services/loginInfo")
			epID := regexp.MustCompile(`endpoint (\d+) added`).FindStringSubmatch(out)[1]
			want := `endpoint ` + epID + ` bullhorn: client_id bh-cid, user api.user, password set 20`
			show := must("tenants", "show", "--tenant", id)
			if !strings.Contains(show, want) || !strings.Contains(show, "login_info_url https://93.184.215.14/rest-services/loginInfo, redirect_uri (none)") ||
				strings.Contains(show, "cli-secret") || !regexp.MustCompile(`bullhorn\s+set 20`).MatchString(show) {
				t.Fatalf("tenants show:\n%s\nwant a line starting %q and the secrets only as set", show, want)
			}
			if _, err := cli("endpoints", "update", "--tenant", id, "--endpoint", epID, "--bullhorn-login-info-url", "https://93.184.215.15/rest-services/loginInfo",
				"--auth-secret-file", secretFile); err == nil || !strings.Contains(err.Error(), "bullhorn_password") {
				t.Fatalf("new loginInfo URL without the password: err = %v, want bullhorn_password refused", err)
			}
			must("endpoints", "update", "--tenant", id, "--endpoint", epID, "--bullhorn-user", "api.other", "--bullhorn-redirect-uri", "https://vendor.example/cb")
			if list := must("endpoints", "list", "--tenant", id); !strings.Contains(list, "user api.other") || !strings.Contains(list, "redirect_uri https://vendor.example/cb") {
				t.Fatalf("after update:\n%s", list)
			}
		})
	}
}

// cliOn runs the CLI against databaseURL with the test key: cli returns
// the output and error, must fails the test on an error.
func cliOn(t *testing.T, databaseURL string) (cli func(args ...string) (string, error), must func(args ...string) string) {
	cli = func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append(args, "--database-url", databaseURL, "--secret-key", testKey), &out)
		return out.String(), err
	}
	must = func(args ...string) string {
		t.Helper()
		out, err := cli(args...)
		if err != nil {
			t.Fatalf("switchboard %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	return cli, must
}
