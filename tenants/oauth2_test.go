package tenants

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/testdb"
)

// oauthEndpointInput is a valid oauth2 endpoint input; edit changes it.
func oauthEndpointInput(edit func(*EndpointInput)) EndpointInput {
	in := EndpointInput{URL: ptr("https://harvest.example/v3/notes"), AuthType: ptr(AuthOAuth2), AuthSecret: ptr("cs-1"),
		OAuth2TokenURL: ptr("https://auth.example/token"), OAuth2ClientID: ptr("client-1")}
	if edit != nil {
		edit(&in)
	}
	return in
}

// TestOAuth2EndpointValidation: an oauth2 endpoint needs its token URL,
// client id and client secret; scopes are scope tokens and extra token
// parameters neither replace the grant's own nor look like credentials.
func TestOAuth2EndpointValidation(t *testing.T) {
	cases := []struct {
		name      string
		edit      func(*EndpointInput)
		wantField string
	}{
		{name: "complete"},
		{name: "client secret in the body", edit: func(in *EndpointInput) { in.OAuth2ClientAuth = ptr("body") }},
		{name: "no token url", edit: func(in *EndpointInput) { in.OAuth2TokenURL = nil }, wantField: "oauth2_token_url"},
		{name: "token url with a placeholder", edit: func(in *EndpointInput) { in.OAuth2TokenURL = ptr("https://auth/{{data.x}}") }, wantField: "oauth2_token_url"},
		{name: "no client id", edit: func(in *EndpointInput) { in.OAuth2ClientID = ptr(" ") }, wantField: "oauth2_client_id"},
		{name: "no client secret", edit: func(in *EndpointInput) { in.AuthSecret = nil }, wantField: "auth_secret"},
		{name: "unknown client auth", edit: func(in *EndpointInput) { in.OAuth2ClientAuth = ptr("jwt") }, wantField: "oauth2_client_auth"},
		{name: "scope with a space", edit: func(in *EndpointInput) { in.OAuth2Scopes = &[]string{"a b"} }, wantField: "oauth2_scopes"},
		{name: "scope with a quote", edit: func(in *EndpointInput) { in.OAuth2Scopes = &[]string{`a"`} }, wantField: "oauth2_scopes"},
		{name: "extra grant_type", edit: func(in *EndpointInput) { in.OAuth2Params = &map[string]string{"grant_type": "password"} }, wantField: "oauth2_params"},
		{name: "extra client_secret", edit: func(in *EndpointInput) { in.OAuth2Params = &map[string]string{"Client_Secret": "x"} }, wantField: "oauth2_params"},
		{name: "credential-like parameter", edit: func(in *EndpointInput) { in.OAuth2Params = &map[string]string{"api_key": "x"} }, wantField: "oauth2_params"},
		{name: "parameter value with a newline", edit: func(in *EndpointInput) { in.OAuth2Params = &map[string]string{"sub": "1\n2"} }, wantField: "oauth2_params"},
		{name: "sub and audience", edit: func(in *EndpointInput) { in.OAuth2Params = &map[string]string{"sub": "42", "audience": "https://api"} }},
	}
	ed := NewEditor(nil, testRing(t), allowAll{}, testEventTypes)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ed.prepare(context.Background(), nil, &Endpoint{Enabled: true}, oauthEndpointInput(tc.edit))
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if field, _ := asProblem(err); field != tc.wantField {
				t.Fatalf("err = %v (field %q), want invalid %s", err, field, tc.wantField)
			}
		})
	}
}

// TestOAuth2TokenURLCheckedBySSRFGuard: the token URL is checked when saved
// like the endpoint's URL: a private address only with private endpoints allowed.
func TestOAuth2TokenURLCheckedBySSRFGuard(t *testing.T) {
	in := oauthEndpointInput(func(in *EndpointInput) {
		in.URL, in.OAuth2TokenURL = ptr("https://93.184.216.34/notes"), ptr("http://127.0.0.1:9/token")
	})
	err := NewEditor(nil, testRing(t), &egress.Guard{}, testEventTypes).prepare(context.Background(), nil, &Endpoint{}, in)
	if field, _ := asProblem(err); field != "oauth2_token_url" || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("private token URL: err = %v (field %q), want invalid oauth2_token_url naming the address", err, field)
	}
	if err := NewEditor(nil, testRing(t), &egress.Guard{AllowPrivate: true}, testEventTypes).prepare(context.Background(), nil, &Endpoint{}, in); err != nil {
		t.Fatalf("private token URL with private endpoints allowed: err = %v", err)
	}
}

// TestOAuth2SecretHandling: the client secret is sealed like any auth
// secret and shown as set/not set; a stored secret is never sent to a new
// token URL, nor turned into a bearer token or an OAuth2 client secret by a
// change of auth type, without being entered again.
func TestOAuth2SecretHandling(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		tn := mustCreateTenant(t, ed, "Acme", "org_oauth", StatusActive)
		v, err := ed.AddEndpoint(ctx, tn.ID, EndpointInput{URL: ptr("https://ats.example/hook"), AuthType: ptr(AuthBearer), AuthSecret: ptr("bearer-tok")})
		if err != nil {
			t.Fatal(err)
		}
		update := func(in EndpointInput) (EndpointView, error) { return ed.UpdateEndpoint(ctx, tn.ID, v.ID, in) }
		toOAuth := oauthEndpointInput(func(in *EndpointInput) {
			in.URL, in.AuthSecret = nil, nil
			in.OAuth2Scopes, in.OAuth2Params = &[]string{" harvest:notes:create ", "harvest:notes:create"}, &map[string]string{" sub ": " 42 "}
		})
		if _, err := update(toOAuth); !strings.Contains(errField(err), "auth_secret") {
			t.Fatalf("bearer → oauth2 keeping the bearer token: err = %v, want invalid auth_secret", err)
		}
		toOAuth.AuthSecret = ptr("client-s3cret")
		got, err := update(toOAuth)
		if err != nil {
			t.Fatal(err)
		}
		if got.OAuth2TokenURL != "https://auth.example/token" || got.OAuth2ClientID != "client-1" || got.OAuth2ClientAuth != OAuth2ClientAuthBasic ||
			!reflect.DeepEqual(got.OAuth2Scopes, []string{"harvest:notes:create"}) || !reflect.DeepEqual(got.OAuth2Params, map[string]string{"sub": "42"}) || !got.AuthSecret.Set {
			t.Fatalf("view = %+v", got)
		}
		shown, _ := json.Marshal(got)
		if strings.Contains(string(shown), "client-s3cret") {
			t.Fatalf("view shows the client secret: %s", shown)
		}
		e, _ := ed.FindEndpoint(ctx, tn.ID, v.ID)
		if plain, err := testRing(t).Open(e.AuthSecretSealed, EndpointSecretContext(e.ID, "auth")); err != nil || string(plain) != "client-s3cret" {
			t.Fatalf("sealed client secret opens to %q, %v", plain, err)
		}
		if _, err := update(EndpointInput{OAuth2Scopes: &[]string{"a"}, OAuth2ClientID: ptr("client-2")}); err != nil {
			t.Fatalf("scopes and client id without the secret: %v", err)
		}
		if _, err := update(EndpointInput{OAuth2TokenURL: ptr("https://elsewhere.example/token")}); errField(err) != "auth_secret" {
			t.Fatalf("new token URL keeping the stored secret: err = %v, want invalid auth_secret", err)
		}
		if _, err := update(EndpointInput{AuthType: ptr(AuthBearer)}); errField(err) != "auth_secret" {
			t.Fatalf("oauth2 → bearer keeping the client secret: err = %v, want invalid auth_secret", err)
		}
		none, err := update(EndpointInput{AuthType: ptr(AuthNone)})
		if err != nil || none.AuthSecret.Set || none.OAuth2TokenURL != "" || none.OAuth2ClientID != "" {
			t.Fatalf("oauth2 → none: %+v, %v; want the secret and the OAuth2 settings cleared", none, err)
		}
	})
}

func errField(err error) string {
	field, _ := asProblem(err)
	return field
}
