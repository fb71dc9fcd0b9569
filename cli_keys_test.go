package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/testdb"
)

// storedSecret names one sealed value by hand (not through sealedColumns),
// with the context its reader opens it with.
type storedSecret struct {
	query, context string
}

var storedSecrets = []storedSecret{
	{"SELECT inbound_secret_sealed FROM tenants WHERE id = 1", "tenant:1:inbound"},
	{"SELECT previous_inbound_secret_sealed FROM tenants WHERE id = 1", "tenant:1:inbound_prev"},
	{"SELECT boooply_api_key_sealed FROM tenants WHERE id = 1", "tenant:1:boooply"},
	{"SELECT auth_secret_sealed FROM endpoints WHERE id = 1", "endpoint:1:auth"},
	{"SELECT signing_secret_sealed FROM endpoints WHERE id = 1", "endpoint:1:signing"},
	{"SELECT previous_signing_secret_sealed FROM endpoints WHERE id = 1", "endpoint:1:signing_prev"},
	{"SELECT client_key_sealed FROM endpoints WHERE id = 1", "endpoint:1:client_key"},
	{"SELECT bullhorn_password_sealed FROM endpoints WHERE id = 1", "endpoint:1:bullhorn_password"},
	{"SELECT secret_sealed FROM source_secrets WHERE source_id = 1 AND number = 1", "source:1:secret:1"},
}

// TestKeysReseal: after a key rotation, `keys reseal` seals every stored
// secret again under the new key, so each opens with the new key alone and
// the old one can be dropped; without the old key it changes nothing and
// names what it can't open; a second run has nothing to do.
func TestKeysReseal(t *testing.T) {
	oldKey, newKey := testKey, mustGenerateKey(t)
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			dbURL := "--database-url=" + target.URL
			old := []string{dbURL, "--secret-key", oldKey}
			file := filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(file, []byte("tok-very-secret-123\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			runCLI(t, append([]string{"tenants", "create", "--name", "Acme", "--source-id", "org_keys"}, old...)...)
			runCLI(t, append([]string{"tenants", "update", "--tenant", "1", "--inbound-secret-file", file, "--boooply-api-key-file", file}, old...)...)
			runCLI(t, append([]string{"endpoints", "add", "--tenant", "1", "--url", "https://93.184.215.14/hook", "--auth-type", "bearer", "--auth-secret-file", file}, old...)...)
			runCLI(t, append([]string{"endpoints", "rotate-secret", "--tenant", "1", "--endpoint", "1", "--overlap", "1h"}, old...)...)
			runCLI(t, append([]string{"sources", "create", "--name", "Main"}, old...)...)

			db := testdb.Open(t, target.URL)
			oldRing := secrets.NewKeyring(mustParseKey(t, oldKey))
			// The columns no CLI command sets here, sealed as their writers do.
			for _, s := range []struct{ update, context string }{
				{"UPDATE tenants SET previous_inbound_secret_sealed = ? WHERE id = 1", "tenant:1:inbound_prev"},
				{"UPDATE endpoints SET client_key_sealed = ? WHERE id = 1", "endpoint:1:client_key"},
				{"UPDATE endpoints SET bullhorn_password_sealed = ? WHERE id = 1", "endpoint:1:bullhorn_password"},
			} {
				sealed, err := oldRing.Seal([]byte("pem-or-secret"), s.context)
				if err != nil {
					t.Fatal(err)
				}
				if err := db.Gorm.Exec(s.update, sealed).Error; err != nil {
					t.Fatal(err)
				}
			}
			before := openAll(t, db, oldRing)
			// A stored Bullhorn session under the old key: a cache, deleted.
			session, err := oldRing.Seal([]byte("bh-session-token"), "bullhorn_session:login-1")
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm.Exec("INSERT INTO bullhorn_sessions (login_key, token_sealed, token_key, rest_url, used_at) VALUES (?, ?, ?, ?, ?)",
				"login-1", session, "tk", "https://rest.example/", time.Now().UTC()).Error; err != nil {
				t.Fatal(err)
			}
			// And endpoint 1's stored OAuth2 access token: a cache too.
			accessToken, err := oldRing.Seal([]byte("oauth2-access-token"), "oauth2_token:1:v1")
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm.Exec("INSERT INTO oauth2_tokens (endpoint_id, auth_version, token_sealed, token_key, token_type, fetched_at) VALUES (1, 'v1', ?, 'tk', 'Bearer', ?)",
				accessToken, time.Now().UTC()).Error; err != nil {
				t.Fatal(err)
			}
			storedSessions := func() int64 {
				var n, tokens int64
				if err := db.Gorm.Raw("SELECT COUNT(*) FROM bullhorn_sessions").Scan(&n).Error; err != nil {
					t.Fatal(err)
				}
				if err := db.Gorm.Raw("SELECT COUNT(*) FROM oauth2_tokens").Scan(&tokens).Error; err != nil {
					t.Fatal(err)
				}
				if tokens != n {
					t.Fatalf("%d stored Bullhorn sessions but %d OAuth2 tokens: reseal treated the two caches differently", n, tokens)
				}
				return n
			}

			_, err = runCLIErr("keys", "reseal", dbURL, "--secret-key", newKey)
			if err == nil || !strings.Contains(err.Error(), "9 secret(s) open with none of the given keys") || !strings.Contains(err.Error(), "tenants.inbound_secret_sealed id 1") {
				t.Fatalf("reseal without the old key: err %v, want every secret named as unreadable", err)
			}
			if got := openAll(t, db, oldRing); !slices.Equal(got, before) {
				t.Fatal("reseal without the old key changed stored secrets")
			}
			if n := storedSessions(); n != 1 {
				t.Fatalf("%d stored Bullhorn sessions after a refused reseal, want 1 (nothing changed)", n)
			}

			out := runCLI(t, "keys", "reseal", dbURL, "--secret-key", newKey, "--previous-secret-keys", oldKey)
			if strings.Count(out, "\n") != len(storedSecrets)+4 || !strings.Contains(out, "every stored secret is sealed with key") ||
				!strings.Contains(out, "bullhorn_sessions.token_sealed: 1 under an older key deleted") ||
				!strings.Contains(out, "oauth2_tokens.token_sealed: 1 under an older key deleted") {
				t.Fatalf("reseal printed:\n%s", out)
			}
			if n := storedSessions(); n != 0 {
				t.Fatalf("%d stored Bullhorn sessions under the old key after reseal, want them deleted", n)
			}
			newRing := secrets.NewKeyring(mustParseKey(t, newKey))
			if got := openAll(t, db, newRing); !slices.Equal(got, before) {
				t.Fatal("after reseal, the new key alone opens different secrets")
			}
			if strings.Contains(out, "tok-very-secret") || strings.Contains(out, "pem-or-secret") {
				t.Fatalf("reseal printed a secret:\n%s", out)
			}
			again := runCLI(t, "keys", "reseal", dbURL, "--secret-key", newKey)
			for _, line := range strings.Split(strings.TrimSpace(again), "\n")[1 : len(storedSecrets)+1] {
				if f := strings.Fields(line); len(f) != 4 || f[1] != "0" || f[2] != "1" || f[3] != "0" {
					t.Errorf("second run: %q, want 0 resealed, 1 already current, 0 unreadable", line)
				}
			}
		})
	}
}

// TestKeysResealCoversEverySealedColumn: every column named *_sealed in the
// schema is one reseal knows, so a secret added later can't be left under
// a key an operator is about to drop.
func TestKeysResealCoversEverySealedColumn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		q := `SELECT table_name || '.' || column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name LIKE '%\_sealed' ESCAPE '\'`
		if db.Dialect == database.SQLite {
			q = `SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
				WHERE m.type = 'table' AND p.name LIKE '%\_sealed' ESCAPE '\'`
		}
		var inSchema []string
		if err := db.Gorm.Raw(q).Scan(&inSchema).Error; err != nil {
			t.Fatal(err)
		}
		var known []string
		for _, c := range sealedColumns {
			known = append(known, c.table+"."+c.column)
		}
		for _, c := range cachedSealedColumns {
			known = append(known, c.table+"."+c.column)
		}
		slices.Sort(inSchema)
		slices.Sort(known)
		if len(inSchema) == 0 || !slices.Equal(inSchema, known) {
			t.Fatalf("sealed columns in the schema %v, reseal knows %v", inSchema, known)
		}
	})
}

// openAll opens every stored secret with ring, failing the test on any error.
func openAll(t *testing.T, db *database.DB, ring *secrets.Keyring) []string {
	t.Helper()
	var out []string
	for _, s := range storedSecrets {
		var sealed string
		if err := db.Gorm.Raw(s.query).Scan(&sealed).Error; err != nil {
			t.Fatal(err)
		}
		plain, err := ring.Open(sealed, s.context)
		if err != nil {
			t.Fatalf("%s (%s): %v", s.query, s.context, err)
		}
		out = append(out, string(plain))
	}
	return out
}

func runCLIErr(args ...string) (string, error) {
	var out strings.Builder
	err := run(context.Background(), args, &out)
	return out.String(), err
}

func mustGenerateKey(t *testing.T) string {
	t.Helper()
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustParseKey(t *testing.T, s string) secrets.Key {
	t.Helper()
	k, err := secrets.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
