package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// textCase is one request of TestTextGuard. {T} and {E} in path are the
// tenant and endpoint it created; anon sends no Bearer token.
type textCase struct {
	name, method, path, body string
	anon                     bool
	wantStatus               int
	wantContains             []string
}

// A NUL character or invalid UTF-8 anywhere a client's text reaches a
// column: the same 400 naming the field on both databases.
var textCases = []textCase{
	{name: "token email (unauthenticated)", method: "POST", path: "/auth/token", anon: true,
		body: `{"email":"x\u0000@example.com","password":"whatever-123456"}`, wantStatus: 400, wantContains: []string{`"field":"email"`, reasonNUL}},
	{name: "login email (unauthenticated)", method: "POST", path: "/auth/login", anon: true,
		body: "{\"email\":\"x\xff@example.com\",\"password\":\"whatever-123456\"}", wantStatus: 400, wantContains: []string{`"field":"email"`, reasonUTF8}},
	{name: "tenant source_id", method: "POST", path: "/tenants", body: `{"name":"n","source_id":"a\u0000b"}`,
		wantStatus: 400, wantContains: []string{`"code":"bad_request"`, `"field":"source_id"`, reasonNUL}},
	{name: "tenant name not UTF-8", method: "POST", path: "/tenants", body: "{\"name\":\"\xc3\",\"source_id\":\"org_x\"}",
		wantStatus: 400, wantContains: []string{`"field":"name"`, reasonUTF8}},
	{name: "tenant rename", method: "PATCH", path: "/tenants/{T}", body: `{"name":"\u0000"}`, wantStatus: 400, wantContains: []string{`"field":"name"`}},
	{name: "endpoint description", method: "POST", path: "/tenants/{T}/endpoints", body: `{"url":"http://127.0.0.1:9/d","description":"d\u0000"}`,
		wantStatus: 400, wantContains: []string{`"field":"description"`, reasonNUL}},
	{name: "correlation key", method: "POST", path: "/tenants/{T}/correlations", body: `{"records":{"M\u0000":{"crm_id":"1"}}}`,
		wantStatus: 400, wantContains: []string{`"field":"records"`, "has a key that " + reasonNUL}},
	{name: "correlation value", method: "POST", path: "/tenants/{T}/correlations", body: `{"records":{"M-1":{"crm_id":"\u0000"}}}`,
		wantStatus: 400, wantContains: []string{`"field":"records.M-1.crm_id"`}},
	{name: "correlation path", method: "GET", path: "/tenants/{T}/correlations/M%00", wantStatus: 400, wantContains: []string{`"field":"path"`, reasonNUL}},
	{name: "mapping comment", method: "PUT", path: "/tenants/{T}/endpoints/{E}/mapping", body: `{"mapping":{"mode":"passthrough"},"comment":"c\u0000"}`,
		wantStatus: 400, wantContains: []string{`"field":"comment"`}},
	{name: "user name", method: "POST", path: "/users", body: `{"email":"u@example.com","name":"\u0000","role":"viewer"}`,
		wantStatus: 400, wantContains: []string{`"field":"name"`}},
	{name: "token name", method: "POST", path: "/tokens", body: `{"name":"t\u0000","role":"viewer"}`, wantStatus: 400, wantContains: []string{`"field":"name"`}},
	{name: "source name", method: "POST", path: "/sources", body: `{"name":"s\u0000","platform":"p","secret":"whsec_0123456789abcdef"}`,
		wantStatus: 400, wantContains: []string{`"field":"name"`}},
	{name: "deliveries meeting_code NUL", method: "GET", path: "/deliveries?meeting_code=%00", wantStatus: 400, wantContains: []string{`"field":"meeting_code"`, reasonNUL}},
	{name: "deliveries meeting_code not UTF-8", method: "GET", path: "/deliveries?meeting_code=%ff", wantStatus: 400, wantContains: []string{`"field":"meeting_code"`, reasonUTF8}},
	{name: "deliveries event_type", method: "GET", path: "/deliveries?event_type=%ff", wantStatus: 400, wantContains: []string{`"field":"event_type"`}},
	{name: "deliveries candidate_name", method: "GET", path: "/deliveries?candidate_name=%00", wantStatus: 400, wantContains: []string{`"field":"candidate_name"`}},
	{name: "tenants q", method: "GET", path: "/tenants?q=%00", wantStatus: 400, wantContains: []string{`"field":"q"`}},
	{name: "audit actor", method: "GET", path: "/audit?actor=%00", wantStatus: 400, wantContains: []string{`"field":"actor"`}},
	{name: "audit action", method: "GET", path: "/audit?action=%ff", wantStatus: 400, wantContains: []string{`"field":"action"`}},
	{name: "query parameter name", method: "GET", path: "/tenants?%00=1", wantStatus: 400, wantContains: []string{`"field":"query"`}},

	// What stays accepted.
	{name: "escaped backslash is text", method: "POST", path: "/tenants", body: `{"name":"a\\u0000b","source_id":"org_backslash"}`,
		wantStatus: 201, wantContains: []string{`"name":"a\\u0000b"`}},
	{name: "non-ASCII query", method: "GET", path: "/tenants?q=" + url.QueryEscape("Zoë 日本 <&>"), wantStatus: 200, wantContains: []string{"Zoë 日本"}},
	{name: "non-ASCII meeting_code", method: "GET", path: "/deliveries?meeting_code=" + url.QueryEscape("Zoë 日本"), wantStatus: 200},
	{name: "non-ASCII endpoint description", method: "POST", path: "/tenants/{T}/endpoints", body: `{"url":"http://127.0.0.1:9/z","description":"Zoë 日本 <&>"}`,
		wantStatus: 201, wantContains: []string{"Zoë 日本"}},
	{name: "non-ASCII mapping comment", method: "PUT", path: "/tenants/{T}/endpoints/{E}/mapping", body: `{"mapping":{"mode":"passthrough"},"comment":"Zoë 日本 <&>"}`,
		wantStatus: 201},
}

// TestTextGuard runs the real server on each database: every textCase, the
// admin pages and sign-in/setup forms answering in their own way, and the
// ingest route keeping its own checks and storing bodies byte for byte.
func TestTextGuard(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", uiPassword)
			base, logs := startServer(t, target.URL, "--admin-email", "admin@example.com")
			token := adminBearer(t, target.URL, base)
			tenant := apiCall(t, token, "POST", base+"/api/v1/tenants", `{"name":"Zoë 日本 <&>","source_id":"org_zoë"}`, 201)
			tid := strconv.FormatInt(jsonNumberAt(t, tenant, "id"), 10)
			ep := apiCall(t, token, "POST", base+"/api/v1/tenants/"+tid+"/endpoints", `{"url":"http://127.0.0.1:9/hook"}`, 201)
			vars := strings.NewReplacer("{T}", tid, "{E}", strconv.FormatInt(jsonNumberAt(t, ep, "id"), 10))
			for _, tc := range textCases {
				t.Run(tc.name, func(t *testing.T) {
					bearer := token
					if tc.anon {
						bearer = ""
					}
					status, body := textRequest(t, tc.method, base+"/api/v1"+vars.Replace(tc.path), tc.body, bearer)
					wantAnswer(t, status, body, tc.wantStatus, tc.wantContains)
				})
			}
			textGuardPages(t, base)
			textGuardIngest(t, base, target.URL)
			if strings.Contains(logs.String(), "Request failed.") || strings.Contains(logs.String(), "refused a request's text") {
				t.Errorf("the server logged a failed request:\n%s", logs)
			}
		})
	}
}

// textGuardPages: the admin pages and the sign-in and setup forms answer a
// browser with a 400 error page and a JSON client with the JSON error.
func textGuardPages(t *testing.T, base string) {
	pc := newPageClient(t, base)
	st, body, _ := pc.do(http.MethodPost, "/login", url.Values{"email": {"x\x00@example.com"}, "password": {uiPassword}})
	wantPage(t, "sign-in with NUL", st, body, 400, []string{"Check the input", "email: " + reasonNUL}, nil)
	st, body, _ = pc.do(http.MethodGet, "/setup?token=%ff", nil)
	wantPage(t, "setup link not UTF-8", st, body, 400, []string{"token: " + reasonUTF8}, nil)
	status, ans := textRequest(t, "POST", base+"/setup", `{"token":"t","email":"a\u0000@example.com"}`, "")
	wantAnswer(t, status, ans, 400, []string{`"field":"email"`})

	pc.signIn("admin@example.com")
	st, body, _ = pc.do(http.MethodGet, "/admin/deliveries?meeting_code=%00", nil)
	wantPage(t, "deliveries page", st, body, 400, []string{"meeting_code: " + reasonNUL}, nil)
	st, body, _ = pc.post("/admin/tenants", url.Values{"name": {"a\x00b"}, "source_id": {"org_page"}})
	wantPage(t, "tenant form", st, body, 400, []string{"name: " + reasonNUL}, nil)
	st, body, _ = pc.post("/admin/tenants", url.Values{"name": {"\xff"}, "source_id": {"org_page"}})
	wantPage(t, "tenant form", st, body, 400, []string{"name: " + reasonUTF8}, nil)
	st, _, loc := pc.post("/admin/tenants", url.Values{"name": {"Zoë 日本 <&> page"}, "source_id": {"org_page"}})
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/tenants/") {
		t.Errorf("tenant form with non-ASCII text: %d → %q, want 303 to the tenant", st, loc)
	}
}

// textGuardIngest: /webhooks/boooply is not behind the guard. Its own check
// refuses a NUL in a routing field; a NUL elsewhere in the body is stored as
// sent.
func textGuardIngest(t *testing.T, base, dbURL string) {
	bad := sampleFor(t, `a\u0000b`, "Boooply-text-1")
	status, ans := postRaw(t, base+"/webhooks/boooply", bad, map[string]string{"X-Boooply-Signature": hmacHex(bad)})
	wantAnswer(t, status, ans, 400, []string{`"field":"data.sourceId"`, reasonNUL})

	good := sampleFor(t, "org_zoë", "Boooply-text-2")
	good = bytes.Replace(good, []byte(`"summary":"`), []byte(`"summary":"Zoë\u0000 \\u0000 `), 1)
	mustPost(t, base, good)
	db := testdb.Open(t, dbURL)
	var stored []byte
	err := db.Gorm.Raw("SELECT body FROM events WHERE meeting_code = ?", "Boooply-text-2").Row().Scan(&stored)
	if err != nil || !bytes.Equal(stored, good) {
		t.Errorf("stored body = %q (err %v), want the bytes sent", stored, err)
	}
}

func textRequest(t *testing.T, method, url, body, bearer string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// wantAnswer checks status and text; a 4xx must be a JSON problem.
func wantAnswer(t *testing.T, status int, body string, wantStatus int, wantContains []string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("status %d, want %d: %s", status, wantStatus, body)
	}
	if status >= 400 {
		var p struct{ Code, Message string }
		if err := json.Unmarshal([]byte(body), &p); err != nil || p.Code == "" || p.Message == "" {
			t.Errorf("answer %q is not a JSON problem (err %v)", body, err)
		}
	}
	for _, s := range wantContains {
		if !strings.Contains(body, s) {
			t.Errorf("answer %s lacks %q", body, s)
		}
	}
}
