package tenants

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/testdb"
)

// bullhornEndpointInput is a valid bullhorn endpoint input; edit changes it.
func bullhornEndpointInput(edit func(*EndpointInput)) EndpointInput {
	in := EndpointInput{URL: ptr(BullhornRestURL + "entity/Note"), Method: ptr("PUT"), AuthType: ptr(AuthBullhorn),
		AuthSecret: ptr("bh-client-secret"), OAuth2ClientID: ptr("bh-client"), BullhornUsername: ptr("api.user"),
		BullhornPassword: ptr("bh-password-1")}
	if edit != nil {
		edit(&in)
	}
	return in
}

// TestBullhornEndpointValidation: a bullhorn endpoint needs its client id
// and secret, API user and password, and a URL under the session's
// restUrl that stays there; the placeholder means nothing to other types.
func TestBullhornEndpointValidation(t *testing.T) {
	cases := []struct {
		name      string
		edit      func(*EndpointInput)
		wantField string
		wantIn    string
	}{
		{name: "complete"},
		{name: "with loginInfo URL and redirect URI", edit: func(in *EndpointInput) {
			in.BullhornLoginInfo, in.BullhornRedirect = ptr("https://rest.example/rest-services/loginInfo"), ptr("https://vendor.example/cb")
		}},
		{name: "query after the path", edit: func(in *EndpointInput) { in.URL = ptr(BullhornRestURL + "entity/Note?fields=id") }},
		{name: "no client id", edit: func(in *EndpointInput) { in.OAuth2ClientID = nil }, wantField: "oauth2_client_id"},
		{name: "no client secret", edit: func(in *EndpointInput) { in.AuthSecret = nil }, wantField: "auth_secret"},
		{name: "no user", edit: func(in *EndpointInput) { in.BullhornUsername = ptr(" ") }, wantField: "bullhorn_username"},
		{name: "no password", edit: func(in *EndpointInput) { in.BullhornPassword = nil }, wantField: "bullhorn_password"},
		{name: "empty password", edit: func(in *EndpointInput) { in.BullhornPassword = ptr("") }, wantField: "bullhorn_password"},
		{name: "password with a newline", edit: func(in *EndpointInput) { in.BullhornPassword = ptr("a\nb") }, wantField: "bullhorn_password"},
		{name: "absolute URL", edit: func(in *EndpointInput) { in.URL = ptr("https://rest.example/entity/Note") }, wantField: "url", wantIn: "must start with {{bullhorn.rest_url}}"},
		{name: "nothing after the placeholder", edit: func(in *EndpointInput) { in.URL = ptr(BullhornRestURL) }, wantField: "url", wantIn: "needs a path"},
		{name: "leading slash", edit: func(in *EndpointInput) { in.URL = ptr(BullhornRestURL + "/entity/Note") }, wantField: "url", wantIn: "without a leading /"},
		{name: "dot dot", edit: func(in *EndpointInput) { in.URL = ptr(BullhornRestURL + "../other/entity/Note") }, wantField: "url", wantIn: ". or .."},
		{name: "space", edit: func(in *EndpointInput) { in.URL = ptr(BullhornRestURL + "entity/ Note") }, wantField: "url"},
		{name: "placeholder on a bearer endpoint", edit: func(in *EndpointInput) { in.AuthType = ptr(AuthBearer) }, wantField: "url", wantIn: "only for auth type bullhorn"},
		{name: "loginInfo URL with a placeholder", edit: func(in *EndpointInput) { in.BullhornLoginInfo = ptr("https://rest.example/{{data.x}}") }, wantField: "bullhorn_login_info_url"},
		{name: "probe under the session's restUrl", edit: func(in *EndpointInput) { in.ProbeURL = ptr(BullhornRestURL + "ping") }},
		{name: "probe with another placeholder", edit: func(in *EndpointInput) { in.ProbeURL = ptr(BullhornRestURL + "{{data.x}}") }, wantField: "probe_url", wantIn: "placeholders"},
		{name: "probe stepping out of the restUrl", edit: func(in *EndpointInput) { in.ProbeURL = ptr(BullhornRestURL + "../ping") }, wantField: "probe_url", wantIn: ". or .."},
		{name: "probe with a leading slash", edit: func(in *EndpointInput) { in.ProbeURL = ptr(BullhornRestURL + "/ping") }, wantField: "probe_url"},
		{name: "bullhorn probe on a bearer endpoint", edit: func(in *EndpointInput) {
			in.AuthType, in.URL, in.ProbeURL = ptr(AuthBearer), ptr("https://a.example/"), ptr(BullhornRestURL+"ping")
		}, wantField: "probe_url", wantIn: "only for auth type bullhorn"},
		{name: "redirect URI not a URL", edit: func(in *EndpointInput) { in.BullhornRedirect = ptr("vendor/cb") }, wantField: "bullhorn_redirect_uri"},
	}
	ed := NewEditor(nil, testRing(t), allowAll{}, testEventTypes)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ed.prepare(context.Background(), nil, &Endpoint{Enabled: true}, bullhornEndpointInput(tc.edit))
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if field, _ := asProblem(err); field != tc.wantField || !strings.Contains(err.Error(), tc.wantIn) {
				t.Fatalf("err = %v (field %q), want invalid %s mentioning %q", err, field, tc.wantField, tc.wantIn)
			}
		})
	}
}

// TestBullhornLoginInfoCheckedBySSRFGuard: the loginInfo URL is checked when
// saved like the endpoint's URL; the session URL has no host to check yet.
func TestBullhornLoginInfoCheckedBySSRFGuard(t *testing.T) {
	in := bullhornEndpointInput(func(in *EndpointInput) { in.BullhornLoginInfo = ptr("http://127.0.0.1:9/rest-services/loginInfo") })
	err := NewEditor(nil, testRing(t), &egress.Guard{}, testEventTypes).prepare(context.Background(), nil, &Endpoint{}, in)
	if field, _ := asProblem(err); field != "bullhorn_login_info_url" || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("private loginInfo URL: err = %v (field %q), want invalid bullhorn_login_info_url naming the address", err, field)
	}
	if err := NewEditor(nil, testRing(t), &egress.Guard{AllowPrivate: true}, testEventTypes).prepare(context.Background(), nil, &Endpoint{}, in); err != nil {
		t.Fatalf("private loginInfo URL with private endpoints allowed: err = %v", err)
	}
}

// TestBullhornSecretHandling: the API password is sealed under its own
// context and shown as set/not set, like the client secret; both must be
// entered again when the loginInfo URL changes (they go to the hosts it
// names) or the auth type changes to or from bullhorn; none clears them.
func TestBullhornSecretHandling(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		tn := mustCreateTenant(t, ed, "Acme", "org_bh", StatusActive)
		v, err := ed.AddEndpoint(ctx, tn.ID, bullhornEndpointInput(nil))
		if err != nil {
			t.Fatal(err)
		}
		if v.BullhornPassword == nil || !v.BullhornPassword.Set || !v.AuthSecret.Set || v.BullhornUsername != "api.user" ||
			v.OAuth2ClientID != "bh-client" || v.BullhornLoginInfo != DefaultBullhornLoginInfoURL || v.Method != "PUT" {
			t.Fatalf("view = %+v", v)
		}
		shown, _ := json.Marshal(v)
		if strings.Contains(string(shown), "bh-password-1") || strings.Contains(string(shown), "bh-client-secret") {
			t.Fatalf("view shows a secret: %s", shown)
		}
		e, _ := ed.FindEndpoint(ctx, tn.ID, v.ID)
		if plain, err := testRing(t).Open(e.BullhornPasswordSealed, EndpointSecretContext(e.ID, "bullhorn_password")); err != nil || string(plain) != "bh-password-1" {
			t.Fatalf("sealed password opens to %q, %v", plain, err)
		}
		update := func(in EndpointInput) (EndpointView, error) { return ed.UpdateEndpoint(ctx, tn.ID, v.ID, in) }
		if _, err := update(EndpointInput{BullhornUsername: ptr("api.user2"), Description: ptr("notes")}); err != nil {
			t.Fatalf("user name without the secrets: %v", err)
		}
		moved := EndpointInput{BullhornLoginInfo: ptr("https://rest.example/rest-services/loginInfo")}
		if _, err := update(moved); errField(err) != "auth_secret" {
			t.Fatalf("new loginInfo URL keeping the stored secrets: err = %v, want invalid auth_secret", err)
		}
		moved.AuthSecret = ptr("bh-client-secret-2")
		if _, err := update(moved); errField(err) != "bullhorn_password" {
			t.Fatalf("new loginInfo URL keeping the stored password: err = %v, want invalid bullhorn_password", err)
		}
		moved.BullhornPassword = ptr("bh-password-2")
		if _, err := update(moved); err != nil {
			t.Fatalf("new loginInfo URL with both secrets: %v", err)
		}
		if _, err := update(EndpointInput{AuthType: ptr(AuthOAuth2), OAuth2TokenURL: ptr("https://auth.example/token"),
			URL: ptr("https://ats.example/hook")}); errField(err) != "auth_secret" {
			t.Fatalf("bullhorn → oauth2 keeping the client secret: err = %v, want invalid auth_secret", err)
		}
		none, err := update(EndpointInput{AuthType: ptr(AuthNone), URL: ptr("https://ats.example/hook")})
		if err != nil || none.AuthSecret.Set || none.BullhornPassword != nil || none.OAuth2ClientID != "" || none.BullhornUsername != "" {
			t.Fatalf("bullhorn → none: %+v, %v; want the secrets and the Bullhorn settings cleared", none, err)
		}
		e, _ = ed.FindEndpoint(ctx, tn.ID, v.ID)
		if e.BullhornPasswordSealed != "" || e.BullhornPasswordSetAt != nil || e.BullhornLoginInfoURL != "" {
			t.Fatalf("stored after bullhorn → none: %+v", e)
		}
	})
}

// TestBullhornTenantCreate: a tenant created with a bullhorn endpoint (the
// batched insert of tenant create and import) stores its password sealed.
func TestBullhornTenantCreate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		tn := mustCreateTenant(t, ed, "Acme", "org_bh_batch", StatusActive, bullhornEndpointInput(nil))
		eps, err := ed.ListEndpoints(ctx, tn.ID)
		if err != nil || len(eps) != 1 {
			t.Fatalf("endpoints %v, %v", eps, err)
		}
		e := eps[0]
		plain, err := testRing(t).Open(e.BullhornPasswordSealed, EndpointSecretContext(e.ID, "bullhorn_password"))
		if err != nil || string(plain) != "bh-password-1" || e.BullhornPasswordSetAt == nil {
			t.Fatalf("stored password opens to %q (%v), set at %v; want bh-password-1", plain, err, e.BullhornPasswordSetAt)
		}
	})
}
