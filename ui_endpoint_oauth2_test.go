package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestAdminEndpointOAuth2 drives an oauth2 endpoint through the admin UI on
// a running server: the form shows the client credential fields, needs the
// client secret (again when the token URL changes), never shows it, and a
// test event is sent with a bearer token from the token endpoint. The secret
// reaches only the token endpoint: not the pages, the attempt or the logs.
func TestAdminEndpointOAuth2(t *testing.T) {
	const secret = "cs-ui-s3cret-5521"
	var mu sync.Mutex
	var tokenAuth, hookAuth []string
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		mu.Lock()
		tokenAuth = append(tokenAuth, user+":"+pass)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "ui-tok", "token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(tokens.Close)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hookAuth = append(hookAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			mu.Lock()
			tokenAuth, hookAuth = nil, nil
			mu.Unlock()
			t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", uiPassword)
			base, logs := startServer(t, target.URL, "--admin-email", "admin@example.com")
			pc := newPageClient(t, base)
			pc.signIn("admin@example.com")
			tenantPath := createTenantPage(t, pc, "OAuth Co", "org_oauth_ui")
			st, body, _ := pc.do(http.MethodGet, tenantPath+"/endpoints/new", nil)
			wantPage(t, "new endpoint form", st, body, 200, []string{`<option value="oauth2">`, `data-testid="endpoint-oauth2"`,
				`name="oauth2_token_url"`, `name="oauth2_client_id"`, `name="oauth2_scopes"`, `name="oauth2_params"`, `name="oauth2_client_auth"`}, nil)

			form := url.Values{"url": {recv.URL + "/hook"}, "enabled": {"true"}, "auth_type": {"oauth2"}, "oauth2_token_url": {tokens.URL + "/token"},
				"oauth2_client_id": {"ui-client"}, "oauth2_scopes": {"harvest:notes:create"}, "oauth2_params": {"sub=42"}, "oauth2_client_auth": {"basic"}}
			st, body, _ = pc.post(tenantPath+"/endpoints", form)
			wantPage(t, "oauth2 without a client secret", st, body, http.StatusUnprocessableEntity, []string{`id="endpoint-auth-secret-error"`}, nil)
			form.Set("auth_secret", secret)
			st, body, _ = pc.post(tenantPath+"/endpoints", form)
			endpointPath := tenantPath + "/endpoints/1"
			wantPage(t, "create the oauth2 endpoint", st, body, http.StatusCreated, []string{`value="` + tokens.URL + `/token"`, `value="ui-client"`,
				">sub=42\n</textarea>", "stored — leave empty to keep it"}, []string{secret})

			form.Del("auth_secret")
			form.Set("oauth2_token_url", recv.URL+"/other-token")
			st, body, _ = pc.post(endpointPath, form)
			wantPage(t, "new token URL without the secret", st, body, http.StatusUnprocessableEntity, []string{`id="endpoint-auth-secret-error"`, "token URL changes"}, []string{secret})
			form.Set("oauth2_token_url", tokens.URL+"/token")
			form.Set("oauth2_scopes", "harvest:notes:create harvest:candidates:read")
			if st, _, _ = pc.post(endpointPath, form); st != http.StatusSeeOther {
				t.Fatalf("scopes changed, secret kept: status %d, want 303", st)
			}
			st, body, _ = pc.do(http.MethodGet, endpointPath, nil)
			wantPage(t, "endpoint page after the update", st, body, http.StatusOK, []string{`value="harvest:notes:create harvest:candidates:read"`}, []string{secret})

			tenantID := strings.TrimPrefix(tenantPath, "/admin/tenants/")
			st, _, loc := pc.post("/admin/deliveries/test?tenant="+tenantID+"&endpoint=1", url.Values{"event_type": {"interview.evaluation"}})
			if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/deliveries/") {
				t.Fatalf("send test event: %d → %q", st, loc)
			}
			waitFor(t, "the test event delivered", func() bool {
				_, page, _ := pc.do(http.MethodGet, loc, nil)
				return strings.Contains(page, "[redacted]")
			})
			st, body, _ = pc.do(http.MethodGet, loc, nil)
			wantPage(t, "test delivery", st, body, http.StatusOK, []string{"Authorization", "[redacted]"}, []string{secret, "ui-tok"})
			mu.Lock()
			defer mu.Unlock()
			if len(tokenAuth) != 1 || tokenAuth[0] != "ui-client:"+secret || len(hookAuth) != 1 || hookAuth[0] != "Bearer ui-tok" {
				t.Errorf("token endpoint saw %q, receiver saw %q; want the client credentials once, then Bearer ui-tok", tokenAuth, hookAuth)
			}
			if strings.Contains(logs.String(), secret) {
				t.Errorf("the client secret is in the server's logs")
			}
		})
	}
}
