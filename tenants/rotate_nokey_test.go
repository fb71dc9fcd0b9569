package tenants

import (
	"context"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestRotateWithoutKeyIsRefused: the CLI without SWITCHBOARD_SECRET_KEY (on
// PostgreSQL) gets an editor without a keyring. Its endpoints have no
// signing secret, and rotating one used to succeed, store nothing and print
// an empty "new signing secret (shown once)". It is refused instead.
func TestRotateWithoutKeyIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := NewEditor(NewStore(db.Gorm), nil, allowAll{}, testEventTypes)
		tn := mustCreateTenant(t, ed, "Acme", "org_nokey", StatusActive)
		v, err := ed.AddEndpoint(ctx, tn.ID, EndpointInput{URL: ptr("https://ats.example/hook")})
		if err != nil || v.NewSigningSecret != "" || v.SigningSecret.Set {
			t.Fatalf("add without a key = %+v, %v; want an endpoint without a signing secret", v, err)
		}
		before, err := ed.FindEndpoint(ctx, tn.ID, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ed.RotateSigningSecret(ctx, tn.ID, v.ID, 0)
		if field, ok := asProblem(err); !ok || field != "signing_secret" {
			t.Fatalf("rotate without a key = %+v, %v; want refused naming signing_secret", got, err)
		}
		after, err := ed.FindEndpoint(ctx, tn.ID, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !after.UpdatedAt.Equal(before.UpdatedAt) || after.PreviousSigningExpiresAt != nil {
			t.Fatalf("endpoint changed by a refused rotation: before %+v, after %+v", before, after)
		}
	})
}
