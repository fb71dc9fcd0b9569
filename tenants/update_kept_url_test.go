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

// A URL the endpoint holds in one field is new in another: its old url
// given as its probe or token URL (or its probe URL as its url) is checked
// like any new URL, or a refused address could be moved where it is called.
func TestUpdateChecksStoredURLMovedToAnotherField(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		permissive := NewEditor(NewStore(db.Gorm), testRing(t), &egress.Guard{AllowPrivate: true}, testEventTypes)
		tn := mustCreateTenant(t, permissive, "Acme", "org_moved", StatusActive)
		hook, health := "http://127.0.0.1:9/hook", "http://127.0.0.1:9/health"
		v, err := permissive.AddEndpoint(ctx, tn.ID, EndpointInput{URL: ptr(hook), ProbeURL: ptr(health)})
		if err != nil {
			t.Fatal(err)
		}
		strict := NewEditor(NewStore(db.Gorm), testRing(t), &egress.Guard{}, testEventTypes)
		oauth2 := AuthOAuth2
		cases := []struct {
			name, wantField string
			in              EndpointInput
		}{
			{"url as the probe URL", "probe_url", EndpointInput{ProbeURL: ptr(hook)}},
			{"probe URL as the url", "url", EndpointInput{URL: ptr(health)}},
			{"url as the token URL", "oauth2_token_url", EndpointInput{AuthType: &oauth2, OAuth2TokenURL: ptr(hook),
				OAuth2ClientID: ptr("switchboard"), AuthSecret: ptr("client-secret")}},
		}
		for _, tc := range cases {
			_, err := strict.UpdateEndpoint(ctx, tn.ID, v.ID, tc.in)
			if field, ok := asProblem(err); !ok || field != tc.wantField {
				t.Errorf("%s: err %v, want a problem naming %s", tc.name, err, tc.wantField)
			}
		}
		got, err := NewStore(db.Gorm).FindEndpoint(ctx, tn.ID, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.URL != hook || got.ProbeURL != health || got.AuthType == AuthOAuth2 {
			t.Fatalf("after refused updates the endpoint holds url %q, probe %q, auth %q; want it unchanged", got.URL, got.ProbeURL, got.AuthType)
		}
	})
}
