package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// contractRows are calls beyond roleRows' admin column: answers a client
// meets when something is wrong, each of which must be in the one error shape.
var contractRows = []roleRow{
	{"GET", "/tenants?limit=0", "", [5]int{4: 422}},
	{"GET", "/tenants/999999", "", [5]int{4: 404}},
	{"POST", "/tenants", `{"name":"X","source_id":"org_x","bogus":1}`, [5]int{4: 400}},
	{"POST", "/tenants", `{"name":"","source_id":"org_y"}`, [5]int{4: 422}},
	{"POST", "/tenants", `{"name":"Dup","source_id":"org_7234567890"}`, [5]int{4: 409}},
	{"POST", "/tenants/import", `{"tenants":[{"name":"Dup","source_id":"org_7234567890"}]}`, [5]int{4: 409}},
	{"POST", "/tenants/import", `{"tenants":[{"name":"A","source_id":"org_twice"},{"name":"B","source_id":"org_twice"}]}`, [5]int{4: 422}},
	{"POST", "/tenants/import", `{"tenants":[{"name":"Dry","source_id":"org_dry"}],"dry_run":true}`, [5]int{4: 200}},
	{"GET", "/deliveries?limit=501", "", [5]int{4: 422}},
	{"GET", "/deliveries/999999", "", [5]int{4: 404}},
	// A time the body names badly is a 422 on that field, as in deliver-held and the list filters.
	{"POST", "/deliveries/bulk-retry", `{"tenant_id":{T},"since":"yesterday"}`, [5]int{4: 422}},
	{"POST", "/deliveries/bulk-retry", `{"tenant_id":{T},"until":""}`, [5]int{4: 202}},
	{"POST", "/tenants/{T}/deliver-held", `{"since":"yesterday"}`, [5]int{4: 422}},
}

// contractSetup adds what roleSetup lacks for the answers to carry every
// documented field: an unrouted event whose tenant is created afterwards
// and delivered (unrouted group, held log), an endpoint with a method and a
// probe URL, and an attempt on the fixture delivery.
// It returns the rows that read them.
func contractSetup(t *testing.T, a *testAPI, db *database.DB, token string, f roleFixtures) []roleRow {
	t.Helper()
	sample, err := webhooks.Sample("interview.evaluation")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(sample), "org_7234567890", "org_late", 1)
	mac := hmac.New(sha256.New, []byte(testWebhookSecret))
	mac.Write([]byte(body))
	req := httptest.NewRequest("POST", "/webhooks/boooply", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Boooply-Signature", hex.EncodeToString(mac.Sum(nil)))
	if res, err := a.app.Test(req, -1); err != nil || res.StatusCode != 200 {
		t.Fatalf("ingest for an unknown sourceId = %v, %v", res.StatusCode, err)
	}
	late := roleCreate(t, a, token, "/api/v1/tenants", `{"name":"Late","source_id":"org_late"}`, "", nil)
	if code, out := roleCall(t, a, "GET", "/api/v1/unrouted", "", token); code != 200 || !strings.Contains(out, `"tenant_id":`+fmt.Sprint(late)) {
		t.Fatalf("unrouted = %d %s, want the org_late group owned by tenant %d", code, out, late)
	}
	rows := []roleRow{
		{"GET", "/unrouted", "", [5]int{4: 200}},
		{"POST", fmt.Sprintf("/tenants/%d/deliver-held", late), `{"since":"2000-01-01T00:00:00Z"}`, [5]int{4: 200}},
		{"GET", fmt.Sprintf("/tenants/%d/held-log", late), "", [5]int{4: 200}},
		{"POST", "/tenants/{T}/endpoints", `{"url":"http://127.0.0.1:9/put","method":"put","probe_url":"http://127.0.0.1:9/health"}`, [5]int{4: 201}},
		{"POST", "/tenants/{T}/endpoints", `{"url":"http://127.0.0.1:9/v3/notes","auth_type":"oauth2","auth_secret":"cs-1","oauth2_token_url":"http://127.0.0.1:9/token",` +
			`"oauth2_client_id":"c1","oauth2_scopes":["harvest:notes:create"],"oauth2_params":{"sub":"42"},"oauth2_client_auth":"body"}`, [5]int{4: 201}},
		{"POST", "/tenants/{T}/endpoints", `{"url":"{{bullhorn.rest_url}}entity/Note","method":"PUT","auth_type":"bullhorn","auth_secret":"cs-1",` +
			`"oauth2_client_id":"c1","bullhorn_username":"api.user","bullhorn_password":"pw-1","bullhorn_login_info_url":"http://127.0.0.1:9/rest-services/loginInfo",` +
			`"bullhorn_redirect_uri":"https://vendor.example/cb"}`, [5]int{4: 201}},
		{"PUT", "/tenants/{T}/endpoints/{E}/mapping", `{"mapping":{"mode":"rules","rules":[{"target":"name","from":"data.candidateName","ops":["upper",{"op":"truncate","args":["3"]}],"required":true},{"target":"v","value":1}],` +
			`"by_event":{"*":{"keep_unmapped":true}}},"comment":"rules"}`, [5]int{4: 201}},
		{"GET", "/tenants/{T}/endpoints/{E}/mapping", "", [5]int{4: 200}},
		{"POST", "/auth/login", `{"email":"admin@example.com","password":"` + rolePassword + `"}`, [5]int{4: 200}},
		{"POST", "/auth/token", `{"email":"admin@example.com","password":"` + rolePassword + `"}`, [5]int{4: 200}},
		{"POST", "/auth/token", `{"email":"admin@example.com","password":"wrong password"}`, [5]int{4: 401}},
	}
	code := 503
	att := &webhooks.Attempt{DeliveryID: f.delivery, TenantID: f.tenant, Number: 1, StartedAt: time.Now().UTC(), DurationMS: 12,
		StatusCode: &code, ErrorClass: "http_5xx", Error: "503 Service Unavailable", ResponseBody: "busy",
		RequestHeaders: map[string]string{"Content-Type": "application/json"}, ResponseHeaders: map[string]string{"Retry-After": "1"}}
	if err := db.Gorm.Create(att).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// apiServer starts a on a loopback listener and returns its base URL.
func apiServer(t *testing.T, a *testAPI) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = a.app.Listener(ln) }()
	t.Cleanup(func() { _ = a.app.Shutdown() })
	return "http://" + ln.Addr().String()
}

// httpCall sends one request over the loopback connection and returns the answer and its body.
func httpCall(t *testing.T, base, method, path, body, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return res, b
}

// operationFor maps the concrete "METHOD /api/v1/path" to its documented
// operation "METHOD /path/:param" (fewest parameters wins).
func operationFor(documented map[string][]int, method, path string) string {
	op := method + " " + strings.TrimPrefix(strings.Split(path, "?")[0], "/api/v1")
	best, params := "", -1
	for pattern := range documented {
		if n := strings.Count(pattern, ":"); routeMatches(pattern, op) && (params < 0 || n < params) {
			best, params = pattern, n
		}
	}
	return best
}

// TestAPIAnswersMatchSchemas makes a representative call of every route
// (roleRows as admin, plus contractRows) on a real server over loopback,
// on SQLite and PostgreSQL, and checks each answer's status is documented,
// its Content-Type is JSON when it has a body, and its JSON keys and types
// are those openapi.json documents for that operation and status.
func TestAPIAnswersMatchSchemas(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAPIOn(t, db)
		_, tokens, f := roleSetup(t, a)
		base := apiServer(t, a)
		sc, err := newSchemaChecker(openAPIDoc)
		if err != nil {
			t.Fatal(err)
		}
		rows := append(append(contractSetup(t, a, db, tokens["admin"], f), contractRows...), roleRows...)
		documented := documentedStatuses(t)
		for _, row := range rows {
			path := "/api/v1" + f.expand(row.path)
			res, body := httpCall(t, base, row.method, path, f.expand(row.body), tokens["admin"])
			if res.StatusCode != row.want[4] {
				t.Errorf("%s %s = %d, want %d (%s)", row.method, path, res.StatusCode, row.want[4], body)
				continue
			}
			checkAnswer(t, sc, operationFor(documented, row.method, path), row.method+" "+path, res, body)
		}
		var never []string
		for name, s := range sc.doc["components"].(map[string]any)["schemas"].(map[string]any) {
			flat, _ := sc.flatten(s.(map[string]any))
			props, _ := flat["properties"].(map[string]any)
			for p := range props {
				if !sc.seen[name+"#"+p] {
					never = append(never, name+"."+p)
				}
			}
		}
		sort.Strings(never)
		t.Logf("documented answer properties no call returned (optional, or not reached here): %s", strings.Join(never, " "))
	})
}

// checkAnswer checks one answer against the operation op's documented response.
func checkAnswer(t *testing.T, sc *schemaChecker, op, call string, res *http.Response, body []byte) {
	t.Helper()
	schema, ok := sc.responseSchema(op, res.StatusCode)
	if !ok {
		t.Errorf("%s answered %d, which openapi.json does not document for %s", call, res.StatusCode, op)
		return
	}
	if len(body) == 0 {
		if schema != nil {
			t.Errorf("%s answered %d without a body; openapi.json documents one", call, res.StatusCode)
		}
		return
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("%s answered %d with Content-Type %q, want application/json", call, res.StatusCode, ct)
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || strings.HasSuffix(op, "/openapi.json") {
		return
	}
	if schema == nil {
		t.Errorf("%s answered %d with a body; openapi.json documents none", call, res.StatusCode)
		return
	}
	v, err := decodeNumbers(body)
	if err != nil {
		t.Errorf("%s answered %d with a body that is not JSON: %v", call, res.StatusCode, err)
		return
	}
	for _, msg := range sc.check(schema, v, "$") {
		t.Errorf("%s (%d): %s", call, res.StatusCode, msg)
	}
	if res.StatusCode == 422 || res.StatusCode == 400 {
		var e struct {
			Details []struct{ Field, Reason string }
		}
		if _ = json.Unmarshal(body, &e); len(e.Details) == 0 || e.Details[0].Field == "" || e.Details[0].Reason == "" {
			t.Errorf("%s answered %d without details naming the field: %s", call, res.StatusCode, body)
		}
	}
}

// probePaths are the concrete paths TestAPIRequestFieldsMatchSchemas sends
// request bodies to, per operation with a JSON body ({U} is a throwaway user).
var probePaths = map[string]string{
	"POST /auth/login": "/auth/login", "POST /auth/token": "/auth/token", "POST /auth/setup": "/auth/setup",
	"POST /users": "/users", "PATCH /users/:id": "/users/{U}", "POST /tokens": "/tokens",
	"POST /tenants": "/tenants", "POST /tenants/import": "/tenants/import", "PATCH /tenants/:tenant": "/tenants/{O}",
	"POST /tenants/:tenant/deliver-held":                        "/tenants/{T}/deliver-held",
	"POST /tenants/:tenant/endpoints":                           "/tenants/{T}/endpoints",
	"PATCH /tenants/:tenant/endpoints/:endpoint":                "/tenants/{T}/endpoints/{E}",
	"POST /tenants/:tenant/endpoints/:endpoint/rotate-secret":   "/tenants/{T}/endpoints/{E}/rotate-secret",
	"PUT /tenants/:tenant/endpoints/:endpoint/mapping":          "/tenants/{T}/endpoints/{E}/mapping",
	"POST /tenants/:tenant/endpoints/:endpoint/mapping/restore": "/tenants/{T}/endpoints/{E}/mapping/restore",
	"POST /mapping/preview":                                     "/mapping/preview",
	"POST /tenants/:tenant/correlations":                        "/tenants/{T}/correlations",
	"PUT /tenants/:tenant/correlations/:meetingCode":            "/tenants/{T}/correlations/m-9",
	"POST /tenants/:tenant/erasures":                            "/tenants/{T}/erasures",
	"POST /deliveries/bulk-retry":                               "/deliveries/bulk-retry",
	"POST /deliveries/test":                                     "/deliveries/test",
	"POST /events/:id/replay":                                   "/events/{EV}/replay",
	"POST /endpoints/:id/enable":                                "/endpoints/{E}/enable",
	"POST /sources":                                             "/sources",
	"PATCH /sources/:id":                                        "/sources/{S}",
	"POST /sources/:id/secrets":                                 "/sources/{S}/secrets",
}

// schemaSample returns a JSON value of the schema's type (the first non-null one).
func schemaSample(sc *schemaChecker, s map[string]any) any {
	s, _ = sc.flatten(s)
	if one, ok := s["oneOf"].([]any); ok {
		return schemaSample(sc, one[0].(map[string]any))
	}
	if enum, ok := s["enum"].([]any); ok {
		return enum[0]
	}
	types := []string{}
	switch t := s["type"].(type) {
	case string:
		types = append(types, t)
	case []any:
		for _, x := range t {
			types = append(types, x.(string))
		}
	}
	for _, t := range types {
		switch t {
		case "string":
			if s["format"] == "date-time" {
				return "2026-01-01T00:00:00Z"
			}
			return "x"
		case "integer", "number":
			return 1
		case "boolean":
			return false
		case "array":
			return []any{}
		case "object":
			return map[string]any{}
		}
	}
	return "x"
}

// TestAPIRequestFieldsMatchSchemas sends, for every operation with a JSON
// request body, each documented property alone (the strict decoder must not
// call it unknown or of the wrong type) and one undocumented property (it
// must answer 400), on SQLite and PostgreSQL.
func TestAPIRequestFieldsMatchSchemas(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAPIOn(t, db)
		_, tokens, f := roleSetup(t, a)
		base := apiServer(t, a)
		sc, err := newSchemaChecker(openAPIDoc)
		if err != nil {
			t.Fatal(err)
		}
		_, out := httpCall(t, base, "POST", "/api/v1/users", `{"email":"probe@example.com","role":"viewer"}`, tokens["admin"])
		var u struct{ User struct{ ID int64 } }
		_ = json.Unmarshal(out, &u)
		for _, route := range a.apiRoutes() {
			method, path, _ := strings.Cut(route, " ")
			op := method + " " + strings.TrimPrefix(path, "/api/v1")
			schema := sc.requestSchema(op)
			if schema == nil {
				continue
			}
			target, ok := probePaths[op]
			if !ok {
				t.Errorf("%s has a request body but no row in probePaths", op)
				continue
			}
			url := "/api/v1" + strings.ReplaceAll(f.expand(target), "{U}", fmt.Sprint(u.User.ID))
			flat, _ := sc.flatten(schema)
			if flat["additionalProperties"] != false || strings.Contains(fmt.Sprint(flat["description"]), "ignored") {
				t.Errorf("%s: openapi.json's request body does not say unknown fields are refused (additionalProperties: false)", op)
			}
			props, _ := flat["properties"].(map[string]any)
			for name, ps := range props {
				body, _ := json.Marshal(map[string]any{name: schemaSample(sc, ps.(map[string]any))})
				res, out := httpCall(t, base, method, url, string(body), tokens["admin"])
				if res.StatusCode == 400 && (strings.Contains(string(out), "unknown field") || strings.Contains(string(out), " must be ")) {
					t.Errorf("%s: documented field %s refused: %s", op, body, out)
				}
			}
			if res, out := httpCall(t, base, method, url, `{"zz_undocumented":1}`, tokens["admin"]); res.StatusCode != 400 {
				t.Errorf("%s: an undocumented field answered %d, want 400 (%s)", op, res.StatusCode, out)
			}
		}
	})
}
