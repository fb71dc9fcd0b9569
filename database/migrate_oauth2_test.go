package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestMigrateEndpointOAuth2: 00018 gives existing endpoints empty OAuth2
// settings (Basic client authentication), and its Down drops the columns
// again, keeping the endpoints, on both dialects.
func TestMigrateEndpointOAuth2(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if err := db.MigrateDownTo(ctx, 17); err != nil {
			t.Fatal(err)
		}
		if db.Gorm.Migrator().HasColumn("endpoints", "oauth2_token_url") {
			t.Fatal("oauth2_token_url exists at version 17")
		}
		now := time.Now().UTC()
		for _, q := range []string{"INSERT INTO tenants (id, name, source_id, created_at, updated_at) VALUES (1, 'A', 'org_a', ?, ?)",
			"INSERT INTO endpoints (id, tenant_id, url, created_at, updated_at) VALUES (1, 1, 'https://a.example/hook', ?, ?)"} {
			if err := db.Gorm.Exec(q, now, now).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		var got struct{ TokenURL, ClientID, Scopes, Params, ClientAuth string }
		if err := db.Gorm.Raw("SELECT oauth2_token_url AS token_url, oauth2_client_id AS client_id, oauth2_scopes AS scopes, " +
			"oauth2_params AS params, oauth2_client_auth AS client_auth FROM endpoints WHERE id = 1").Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got.TokenURL != "" || got.ClientID != "" || got.Scopes != "[]" || got.Params != "{}" || got.ClientAuth != "basic" {
			t.Fatalf("existing endpoint after 00018: %+v, want empty settings and basic", got)
		}
		if err := db.MigrateDownTo(ctx, 17); err != nil {
			t.Fatalf("down: %v", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM endpoints"); n != 1 || db.Gorm.Migrator().HasColumn("endpoints", "oauth2_client_auth") {
			t.Fatalf("after Down: %d endpoints, oauth2 columns left %t; want 1 and none", n, db.Gorm.Migrator().HasColumn("endpoints", "oauth2_client_auth"))
		}
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatalf("up after down: %v", err)
		}
	})
}
