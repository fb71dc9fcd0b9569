package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestMigrateEndpointBullhorn: 00021 gives existing endpoints empty Bullhorn
// settings, and its Down drops the columns again, keeping the endpoints, on
// both dialects.
func TestMigrateEndpointBullhorn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if err := db.MigrateDownTo(ctx, 20); err != nil {
			t.Fatal(err)
		}
		if db.Gorm.Migrator().HasColumn("endpoints", "bullhorn_username") {
			t.Fatal("bullhorn_username exists at version 20")
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
		var got struct {
			Username, PasswordSealed, LoginInfoURL, RedirectURI string
			PasswordSetAt                                       *time.Time
		}
		if err := db.Gorm.Raw("SELECT bullhorn_username AS username, bullhorn_password_sealed AS password_sealed, bullhorn_password_set_at AS password_set_at, " +
			"bullhorn_login_info_url AS login_info_url, bullhorn_redirect_uri AS redirect_uri FROM endpoints WHERE id = 1").Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got.Username != "" || got.PasswordSealed != "" || got.LoginInfoURL != "" || got.RedirectURI != "" || got.PasswordSetAt != nil {
			t.Fatalf("existing endpoint after 00021: %+v, want empty settings", got)
		}
		if err := db.MigrateDownTo(ctx, 20); err != nil {
			t.Fatalf("down: %v", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM endpoints"); n != 1 || db.Gorm.Migrator().HasColumn("endpoints", "bullhorn_password_sealed") {
			t.Fatalf("after Down: %d endpoints, bullhorn columns left %t; want 1 and none", n, db.Gorm.Migrator().HasColumn("endpoints", "bullhorn_password_sealed"))
		}
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatalf("up after down: %v", err)
		}
	})
}
