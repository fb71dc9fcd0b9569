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

// TestAdminEndpointBullhorn drives a bullhorn endpoint through the admin UI
// on a running server: the form shows the Bullhorn fields, needs the API
// password (again when the loginInfo URL changes), never shows it or the
// client secret, and a test event goes through the login chain of a
// loopback Bullhorn to entity/Note with the BhRestToken, recorded as
// [redacted]. No credential reaches the pages, the attempt or the logs.
func TestAdminEndpointBullhorn(t *testing.T) {
	const clientSecret, password = "bh-ui-cs-4417", "bh-ui-pw-9902"
	var mu sync.Mutex
	var seen []string // what the stand-in Bullhorn was asked, in order
	var bh *httptest.Server
	bh = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/rest-services/loginInfo":
			_ = json.NewEncoder(w).Encode(map[string]string{"oauthUrl": bh.URL + "/oauth", "restUrl": bh.URL + "/rest-services"})
		case "/oauth/authorize":
			if q.Get("username") != "ui.api" || q.Get("password") != password || q.Get("action") != "Login" {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html>login</html>"))
				return
			}
			http.Redirect(w, r, "https://vendor.example/cb?code=ui-code", http.StatusFound)
		case "/oauth/token":
			if q.Get("client_secret") != clientSecret || q.Get("code") != "ui-code" {
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "ui-access", "expires_in": 600})
		case "/rest-services/login":
			_ = json.NewEncoder(w).Encode(map[string]string{"BhRestToken": "ui-session-token", "restUrl": bh.URL + "/rest-services/corp7/"})
		case "/rest-services/corp7/entity/Note":
			if r.Header.Get("BhRestToken") != "ui-session-token" || r.Method != http.MethodPut {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"changedEntityId": 1, "changeType": "INSERT"})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(bh.Close)
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", uiPassword)
			base, logs := startServer(t, target.URL, "--admin-email", "admin@example.com")
			pc := newPageClient(t, base)
			pc.signIn("admin@example.com")
			tenantPath := createTenantPage(t, pc, "Bullhorn Co", "org_bh_ui")
			st, body, _ := pc.do(http.MethodGet, tenantPath+"/endpoints/new", nil)
			wantPage(t, "new endpoint form", st, body, 200, []string{`<option value="bullhorn">`, `data-testid="endpoint-bullhorn"`,
				`name="bullhorn_username"`, `name="bullhorn_password"`, `name="bullhorn_login_info_url"`, `name="bullhorn_redirect_uri"`}, nil)

			form := url.Values{"url": {"{{bullhorn.rest_url}}entity/Note"}, "method": {"PUT"}, "enabled": {"true"}, "auth_type": {"bullhorn"},
				"oauth2_client_id": {"ui-bh-client"}, "auth_secret": {clientSecret}, "bullhorn_username": {"ui.api"},
				"bullhorn_login_info_url": {bh.URL + "/rest-services/loginInfo"}}
			st, body, _ = pc.post(tenantPath+"/endpoints", form)
			wantPage(t, "bullhorn without a password", st, body, http.StatusUnprocessableEntity, []string{`id="endpoint-bullhorn-password-error"`}, []string{clientSecret})
			form.Set("auth_secret", clientSecret)
			form.Set("bullhorn_password", password)
			st, body, _ = pc.post(tenantPath+"/endpoints", form)
			endpointPath := tenantPath + "/endpoints/1"
			wantPage(t, "create the bullhorn endpoint", st, body, http.StatusCreated, []string{`value="ui.api"`, `value="ui-bh-client"`,
				"stored — leave empty to keep it"}, []string{clientSecret, password})

			form.Del("auth_secret")
			form.Del("bullhorn_password")
			form.Set("bullhorn_login_info_url", bh.URL+"/elsewhere/loginInfo")
			st, body, _ = pc.post(endpointPath, form)
			wantPage(t, "new loginInfo URL without the secrets", st, body, http.StatusUnprocessableEntity, []string{"loginInfo URL changes"}, []string{clientSecret, password})
			form.Set("bullhorn_login_info_url", bh.URL+"/rest-services/loginInfo")
			if st, _, _ = pc.post(endpointPath, form); st != http.StatusSeeOther {
				t.Fatalf("unchanged settings, secrets kept: status %d, want 303", st)
			}

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
			wantPage(t, "test delivery", st, body, http.StatusOK, []string{"Bhresttoken", "[redacted]"},
				[]string{clientSecret, password, "ui-session-token", "ui-access", "ui-code"})
			mu.Lock()
			got := strings.Join(seen, ", ")
			mu.Unlock()
			want := "GET /rest-services/loginInfo, GET /oauth/authorize, POST /oauth/token, POST /rest-services/login, PUT /rest-services/corp7/entity/Note"
			if got != want {
				t.Errorf("Bullhorn saw %s; want %s", got, want)
			}
			for _, s := range []string{clientSecret, password, "ui-session-token", "ui-access"} {
				if strings.Contains(logs.String(), s) {
					t.Errorf("%q is in the server's logs", s)
				}
			}
		})
	}
}
