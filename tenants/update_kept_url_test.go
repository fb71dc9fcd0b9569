package tenants

import (
	"context"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/testdb"
)

// An endpoint saved while private addresses were allowed (or whose host
// stopped resolving) must stay editable once the guard would refuse its
// URL: the URLs it keeps are not checked again, new ones are.
func TestUpdateKeepsStoredURLWithoutRecheck(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		permissive := NewEditor(NewStore(db.Gorm), testRing(t), &egress.Guard{AllowPrivate: true}, testEventTypes)
		tn := mustCreateTenant(t, permissive, "Acme", "org_kept", StatusActive)
		v, err := permissive.AddEndpoint(ctx, tn.ID, EndpointInput{
			URL: ptr("http://127.0.0.1:9/hook"), ProbeURL: ptr("http://127.0.0.1:9/health"),
		})
		if err != nil {
			t.Fatal(err)
		}
		strict := NewEditor(NewStore(db.Gorm), testRing(t), &egress.Guard{}, testEventTypes)
		got, err := strict.UpdateEndpoint(ctx, tn.ID, v.ID, EndpointInput{Description: ptr("paused by support"), Enabled: ptr(false)})
		if err != nil {
			t.Fatalf("update keeping the stored URLs: %v", err)
		}
		if got.Enabled || got.Description != "paused by support" {
			t.Fatalf("view after update = %+v", got)
		}
		_, err = strict.UpdateEndpoint(ctx, tn.ID, v.ID, EndpointInput{URL: ptr("http://127.0.0.1:10/hook")})
		if field, ok := asProblem(err); !ok || field != "url" {
			t.Fatalf("a new loopback URL: err %v, want a problem naming url", err)
		}
		_, err = strict.UpdateEndpoint(ctx, tn.ID, v.ID, EndpointInput{ProbeURL: ptr("http://127.0.0.1:10/health")})
		if field, ok := asProblem(err); !ok || field != "probe_url" {
			t.Fatalf("a new loopback probe URL: err %v, want a problem naming probe_url", err)
		}
	})
}
