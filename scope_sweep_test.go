package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/sjson"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// candidateSample is the evaluation sample for sourceID, meetingCode and candidate.
func candidateSample(t *testing.T, sourceID, meetingCode, candidate string) []byte {
	t.Helper()
	body, err := webhooks.Sample("interview.evaluation")
	if err != nil {
		t.Fatal(err)
	}
	for path, v := range map[string]string{"data.sourceId": sourceID, "data.meetingCode": meetingCode, "data.candidateName": candidate} {
		if body, err = sjson.SetBytes(body, path, v); err != nil {
			t.Fatal(err)
		}
	}
	return body
}

// scopeWorld is two tenants, A and B, with endpoints, events, deliveries (B's
// failed), a mapping and a correlation record of B's, and four unrouted
// events: one held for A's sourceId, one for B's (it arrived before B
// existed), one of a sourceId no tenant has and one without a sourceId. A
// support user, and an API token, are limited to A.
type scopeWorld struct {
	a                                                       *testApp
	admin, apiToken                                         string
	tenantA, tenantB, epA, epB, evA, evB, dA, dB            int64
	evHeldA, evHeldB, evZulu, evNoSource, adminID, sourceID int64
	scopedEmail                                             string
}

// scopeCanaries are strings only B's data and the events of no tenant
// carry: a caller limited to A must never be shown one it did not send.
var scopeCanaries = []string{"Bravo Canary Co", "org_bravo_canary", "m-bravo-canary", "bravo-canary-hook", "Bravo Candidate Canary",
	"m-bravo-held", "Bravo Held Canary", "org_zulu_canary", "m-zulu-canary", "Zulu Canary", "bravo-canary-attr", "bravo-canary-error",
	"bravo canary mapping", "m-nosource-canary", "Nosource Canary"}

func newScopeWorld(t *testing.T, a *testApp) *scopeWorld {
	t.Helper()
	w := &scopeWorld{a: a, scopedEmail: "scoped@example.com"}
	w.adminID = a.addUser(t, "admin@example.com", auth.RoleAdmin, nil)
	w.admin = a.token(t, "admin@example.com")
	w.evHeldA, _ = a.ingest(t, w.admin, "org_alpha", "m-alpha-held", "Alpha Held")
	w.evHeldB, _ = a.ingest(t, w.admin, "org_bravo_canary", "m-bravo-held", "Bravo Held Canary")
	w.evZulu, _ = a.ingest(t, w.admin, "org_zulu_canary", "m-zulu-canary", "Zulu Canary")
	w.evNoSource = ingestNoSource(t, a, "m-nosource-canary", "Nosource Canary")
	w.tenantA = a.createJSON(t, "POST", "/api/v1/tenants",
		`{"name":"Alpha Co","source_id":"org_alpha","endpoints":[{"url":"http://127.0.0.1:9/alpha-hook"}]}`, w.admin, "id")
	w.tenantB = a.createJSON(t, "POST", "/api/v1/tenants",
		`{"name":"Bravo Canary Co","source_id":"org_bravo_canary","endpoints":[{"url":"http://127.0.0.1:9/bravo-canary-hook"}]}`, w.admin, "id")
	w.epA = a.createJSON(t, "GET", fmt.Sprintf("/api/v1/tenants/%d/endpoints", w.tenantA), "", w.admin, "items.0.id")
	w.epB = a.createJSON(t, "GET", fmt.Sprintf("/api/v1/tenants/%d/endpoints", w.tenantB), "", w.admin, "items.0.id")
	w.evA, w.dA = a.ingest(t, w.admin, "org_alpha", "m-alpha-1", "Alpha Person")
	w.evB, w.dB = a.ingest(t, w.admin, "org_bravo_canary", "m-bravo-canary", "Bravo Candidate Canary")
	if w.dA == 0 || w.dB == 0 {
		t.Fatalf("deliveries A %d, B %d: want both", w.dA, w.dB)
	}
	err := a.db.Gorm.Exec("UPDATE deliveries SET status = 'failed', last_error = 'bravo-canary-error', updated_at = ? WHERE id = ?",
		time.Now().UTC(), w.dB).Error
	if err != nil {
		t.Fatal(err)
	}
	a.createJSON(t, "PUT", fmt.Sprintf("/api/v1/tenants/%d/correlations/m-bravo-canary", w.tenantB),
		`{"attributes":{"candidate_id":"bravo-canary-attr"}}`, w.admin, "")
	a.createJSON(t, "PUT", fmt.Sprintf("/api/v1/tenants/%d/endpoints/%d/mapping", w.tenantB, w.epB),
		`{"mapping":{"mode":"passthrough"},"comment":"bravo canary mapping"}`, w.admin, "")
	w.sourceID = a.createJSON(t, "POST", "/api/v1/sources", `{"name":"first","platform":"p1"}`, w.admin, "source.id")
	a.addUser(t, w.scopedEmail, auth.RoleSupport, []int64{w.tenantA})
	// An API token of the (unscoped) admin, limited to A.
	_, out := a.call(t, "POST", "/api/v1/tokens", fmt.Sprintf(`{"name":"scoped","role":"support","tenant_ids":[%d]}`, w.tenantA), w.admin, nil)
	m := regexp.MustCompile(`"token":"(sbt_[^"]+)"`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("API token: %s", out)
	}
	w.apiToken = m[1]
	return w
}

// canaries adds to scopeCanaries the links and JSON fields that name B's
// objects by id.
func (w *scopeWorld) canaries() []string {
	out := slices.Clone(scopeCanaries)
	for _, f := range []string{`/admin/tenants/%d"`, `/admin/tenants/%d/`, `/admin/tenants/%d?`, `"tenant_id":%d,`, `"tenant_id":%d}`,
		`tenant=%d"`, `tenant=%d&`} {
		out = append(out, fmt.Sprintf(f, w.tenantB))
	}
	for _, ev := range []int64{w.evB, w.evHeldB, w.evZulu, w.evNoSource} {
		out = append(out, fmt.Sprintf(`/admin/events/%d"`, ev), fmt.Sprintf(`"event_id":%d,`, ev))
	}
	out = append(out, fmt.Sprintf(`/admin/deliveries/%d"`, w.dB), fmt.Sprintf(`/admin/deliveries/%d/`, w.dB),
		fmt.Sprintf(`endpoint=%d"`, w.epB), fmt.Sprintf(`endpoint=%d&`, w.epB), fmt.Sprintf(`"endpoint_id":%d,`, w.epB))
	return out
}

// checkBody fails when body shows a canary the request (its URL and body)
// did not carry itself.
func (w *scopeWorld) checkBody(t *testing.T, what, request string, status int, body string) {
	t.Helper()
	if status >= 500 {
		t.Errorf("%s = %d: %.300s", what, status, body)
	}
	sent, _ := url.QueryUnescape(request)
	sent = request + " " + sent
	for _, c := range w.canaries() {
		if !strings.Contains(sent, c) && strings.Contains(body, c) {
			i := strings.Index(body, c)
			t.Errorf("%s (%d) shows %q to a caller limited to tenant A: …%s…", what, status, c, body[max(0, i-150):min(len(body), i+150)])
		}
	}
}

// ids are the fillings of route parameters: all B's, or A's tenant with B's objects.
func (w *scopeWorld) ids(tenant int64, objects string) routeIDs {
	if objects == "B" {
		return routeIDs{tenant: tenant, endpoint: w.epB, event: w.evB, delivery: w.dB, source: w.sourceID, user: w.adminID, meetingCode: "m-bravo-canary"}
	}
	return routeIDs{tenant: tenant, endpoint: w.epA, event: w.evA, delivery: w.dA, source: w.sourceID, user: w.adminID, meetingCode: "m-alpha-1"}
}

// TestScopedCallerLearnsNothingOfOtherTenants: a support user limited to
// tenant A (browser session for the pages, script token and API token for
// /api/v1) calls every GET route of the real app, on both dialects, with
// B's ids in the path, with A's tenant and B's objects, and with A's own
// ids plus B's ids and names in every filter the pages and the API read
// (tenant, tenant_id, tenant_q, q, endpoint, meeting_code, source_id,
// candidate, revisions_of, kind=unrouted); then retries, replays,
// test-sends, bulk retries, held-event deliveries and previews with B's
// ids. Nothing may show B's names, sourceId, meeting codes, candidates,
// endpoint URL, correlation values, errors or links, nor an unrouted
// event's; B's objects are 404, nothing of B's changes, and the dashboard,
// lists and CSV count A's only.
func TestScopedCallerLearnsNothingOfOtherTenants(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newScopeWorld(t, newTestApp(t, db))
		page := newPageClient(t, w.a.base)
		page.signIn(w.scopedEmail)
		script := w.a.token(t, w.scopedEmail)
		bearers := []string{script, w.apiToken, w.ownToken(t, script)}
		w.sweepReads(t, page, bearers)
		w.checkActions(t, page, bearers)
		w.checkFigures(t, page, bearers)
		w.checkOwnHeld(t, page, bearers)
	})
}

// ingestNoSource posts the evaluation sample with data.sourceId null: held
// unrouted, belonging to no tenant.
func ingestNoSource(t *testing.T, a *testApp, meetingCode, candidate string) int64 {
	t.Helper()
	body, err := sjson.SetRawBytes(candidateSample(t, "", meetingCode, candidate), "data.sourceId", []byte("null"))
	if err != nil {
		t.Fatal(err)
	}
	st, ans := post(t, a.base, body, hmacHex(body))
	if st != 200 {
		t.Fatalf("ingest without a sourceId = %d %v", st, ans)
	}
	return int64(ans["event_id"].(float64))
}

// checkOwnHeld: the event held for A's sourceId (it arrived before A
// existed) is A's to see and audit: on the Unrouted page with its deliver
// button, in the events list and on its own page, in the API's unrouted
// groups and in a mapping preview. (checkBody keeps B's, Zulu's and the
// sourceId-less ones out of the same answers.)
func (w *scopeWorld) checkOwnHeld(t *testing.T, page *pageClient, bearers []string) {
	t.Helper()
	held := fmt.Sprintf("/admin/events/%d", w.evHeldA)
	deliver := fmt.Sprintf("/admin/unrouted/%d/deliver", w.tenantA)
	pages := map[string][]string{
		"/admin/unrouted":                                 {"org_alpha", "Alpha Held", "Alpha Co", deliver},
		"/admin/events?kind=unrouted":                     {`href="` + held + `"`, "m-alpha-held"},
		"/admin/events?kind=unrouted&source_id=org_alpha": {`href="` + held + `"`, "m-alpha-held"},
		"/admin/events?meeting_code=m-alpha-held":         {`href="` + held + `"`},
		held: {"m-alpha-held", "Alpha Held", `data-testid="event-unrouted"`},
		fmt.Sprintf("/admin/events?revisions_of=%d", w.evHeldA): {`href="` + held + `"`},
	}
	for path, want := range pages {
		st, body, _ := page.do("GET", path, nil)
		w.checkBody(t, "GET "+path, path, st, body)
		wantPage(t, "GET "+path+" as the caller limited to A", st, body, http.StatusOK, want, nil)
	}
	preview := url.Values{"mode": {"expression"}, "expression": {"."}, "sample": {fmt.Sprintf("event:%d", w.evHeldA)}}
	st, body, _ := page.post(fmt.Sprintf("/admin/tenants/%d/endpoints/%d/mapping/preview", w.tenantA, w.epA), preview)
	wantPage(t, "page preview of A's held event", st, body, http.StatusOK, []string{"m-alpha-held"}, nil)
	for i, b := range bearers {
		st, body := w.a.call(t, "GET", "/api/v1/unrouted", "", b, nil)
		var out struct {
			Items []struct {
				SourceID *string `json:"source_id"`
				Count    int64   `json:"count"`
				TenantID *int64  `json:"tenant_id"`
			} `json:"items"`
		}
		err := json.Unmarshal([]byte(body), &out)
		if st != http.StatusOK || err != nil || len(out.Items) != 1 || out.Items[0].SourceID == nil || *out.Items[0].SourceID != "org_alpha" ||
			out.Items[0].Count != 1 || out.Items[0].TenantID == nil || *out.Items[0].TenantID != w.tenantA {
			t.Errorf("GET /api/v1/unrouted as the %s = %d %s (%v), want one group: org_alpha, 1 event, tenant %d", bearerNames[i], st, body, err, w.tenantA)
		}
		st, body = w.a.call(t, "POST", "/api/v1/mapping/preview", fmt.Sprintf(`{"mapping":{"mode":"passthrough"},"event_id":%d}`, w.evHeldA), b, nil)
		if st != http.StatusOK || !strings.Contains(body, "m-alpha-held") {
			t.Errorf("preview of A's held event as the %s = %d %.300s, want 200 with it", bearerNames[i], st, body)
		}
	}
}

// sweepQueries are the filters every GET route is called with (A's ids in the path).
func (w *scopeWorld) sweepQueries() []string {
	return []string{"",
		fmt.Sprintf("?tenant=%[1]d&tenant_id=%[1]d&endpoint=%[2]d&endpoint_id=%[2]d", w.tenantB, w.epB),
		"?tenant_q=bravo&q=bravo&candidate=bravo&candidate_name=bravo",
		"?tenant_q=org_bravo&q=org_bravo&candidate=canary&candidate_name=canary",
		"?meeting_code=m-bravo-canary&source_id=org_bravo_canary",
		"?kind=unrouted", "?kind=unrouted&source_id=org_zulu_canary", "?source_id=org_bravo_canary&meeting_code=m-bravo-held",
		fmt.Sprintf("?revisions_of=%d", w.evHeldB), fmt.Sprintf("?revisions_of=%d", w.evB), "?window=7d",
		fmt.Sprintf("?tenant=%d&tenant_q=Bravo+Canary+Co", w.tenantA)}
}

func (w *scopeWorld) sweepReads(t *testing.T, page *pageClient, bearers []string) {
	t.Helper()
	for _, route := range w.a.routes() {
		method, pattern, _ := strings.Cut(route, " ")
		if method != "GET" || routeTable[route] == accessPublic {
			continue
		}
		var paths []string
		if strings.Contains(pattern, ":") {
			paths = append(paths, w.ids(w.tenantB, "B").concrete(pattern))
			if strings.Contains(pattern, ":endpoint") || strings.Contains(pattern, ":id") || strings.Contains(pattern, ":meetingCode") {
				paths = append(paths, w.ids(w.tenantA, "B").concrete(pattern))
			}
		}
		own := w.ids(w.tenantA, "A").concrete(pattern)
		for _, q := range w.sweepQueries() {
			w.read(t, page, bearers, own+q, false)
		}
		for _, p := range paths {
			w.read(t, page, bearers, p, true)
		}
	}
}

// read GETs path as the scoped caller (every bearer for /api/v1); with
// foreign, the path names B's objects and must not answer 2xx.
func (w *scopeWorld) read(t *testing.T, page *pageClient, bearers []string, path string, foreign bool) {
	t.Helper()
	type answer struct {
		who    string
		status int
		body   string
	}
	var answers []answer
	if strings.HasPrefix(path, "/admin") {
		st, body, loc := page.do("GET", path, nil)
		answers = append(answers, answer{"page session", st, body + " " + loc})
		// htmx asks for the fragment: another path through the handlers.
		page.header = http.Header{"Hx-Request": {"true"}}
		st, body, loc = page.do("GET", path, nil)
		page.header = nil
		answers = append(answers, answer{"page session over htmx", st, body + " " + loc + " " + page.last.Get("HX-Push-Url") + " " + page.last.Get("HX-Redirect")})
	} else {
		for i, b := range bearers {
			st, body := w.a.call(t, "GET", path, "", b, nil)
			answers = append(answers, answer{bearerNames[i], st, body})
		}
	}
	for _, an := range answers {
		what := "GET " + path + " as the " + an.who
		w.checkBody(t, what, path, an.status, an.body)
		if foreign && an.status < 300 {
			t.Errorf("%s = %d, want 404 (or 403): it names tenant B's objects: %.300s", what, an.status, an.body)
		}
	}
}

// bearerNames name the scoped caller's bearers in messages.
var bearerNames = []string{"script token", "admin's API token limited to A", "own API token"}

// ownToken is an API token the caller limited to A makes for itself,
// naming no tenants: it is limited to A all the same. A token above the
// caller's role is refused.
func (w *scopeWorld) ownToken(t *testing.T, script string) string {
	t.Helper()
	if st, body := w.a.call(t, "POST", "/api/v1/tokens", `{"name":"up","role":"admin"}`, script, nil); st != http.StatusForbidden {
		t.Errorf("a support user's admin token = %d, want 403: %s", st, body)
	}
	_, out := w.a.call(t, "POST", "/api/v1/tokens", `{"name":"mine","role":"support"}`, script, nil)
	m := regexp.MustCompile(`"token":"(sbt_[^"]+)"`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("own API token: %s", out)
	}
	return m[1]
}

// scopedAction is an unsafe request by the caller limited to A that names B's objects.
type scopedAction struct {
	method, path, body string // body: JSON for /api/v1, a form query for /admin
	want               []int
}

func (w *scopeWorld) actions() []scopedAction {
	A, B, epA, epB := w.tenantA, w.tenantB, w.epA, w.epB
	nf := []int{404}
	preview := func(ev int64) string {
		return url.Values{"mode": {"expression"}, "expression": {"."}, "sample": {fmt.Sprintf("event:%d", ev)}}.Encode()
	}
	out := []scopedAction{
		{"POST", fmt.Sprintf("/admin/deliveries/%d/retry", w.dB), "", nf},
		{"POST", fmt.Sprintf("/admin/deliveries/%d/replay", w.dB), "", nf},
		{"POST", fmt.Sprintf("/admin/deliveries/test?tenant=%d&endpoint=%d", B, epB), "", nf},
		{"POST", fmt.Sprintf("/admin/deliveries/test?tenant=%d&endpoint=%d", A, epB), "", nf},
		{"POST", fmt.Sprintf("/admin/deliveries/bulk-retry?tenant=%d", B), "", nf},
		{"POST", fmt.Sprintf("/admin/deliveries/bulk-retry?endpoint=%d", epB), "", nf},
		{"POST", fmt.Sprintf("/admin/deliveries/bulk-retry?tenant=%d&endpoint=%d", A, epB), "", nf},
		{"POST", fmt.Sprintf("/admin/unrouted/%d/deliver", B), "", nf},
		{"POST", fmt.Sprintf("/api/v1/deliveries/%d/retry", w.dB), "{}", nf},
		{"POST", "/api/v1/deliveries/bulk-retry", fmt.Sprintf(`{"tenant_id":%d}`, B), nf},
		{"POST", "/api/v1/deliveries/bulk-retry", fmt.Sprintf(`{"endpoint_id":%d}`, epB), nf},
		{"POST", "/api/v1/deliveries/bulk-retry", fmt.Sprintf(`{"tenant_id":%d,"endpoint_id":%d}`, A, epB), nf},
		{"POST", fmt.Sprintf("/api/v1/events/%d/replay", w.evB), fmt.Sprintf(`{"endpoint_id":%d}`, epB), nf},
		{"POST", fmt.Sprintf("/api/v1/events/%d/replay", w.evA), fmt.Sprintf(`{"endpoint_id":%d}`, epB), nf},
		{"POST", "/api/v1/deliveries/test", fmt.Sprintf(`{"tenant_id":%d,"endpoint_id":%d}`, B, epB), nf},
		{"POST", "/api/v1/deliveries/test", fmt.Sprintf(`{"tenant_id":%d,"endpoint_id":%d}`, A, epB), nf},
		{"POST", fmt.Sprintf("/api/v1/tenants/%d/deliver-held", B), "{}", nf},
		{"POST", fmt.Sprintf("/api/v1/tenants/%d/deliver-held", A), `{"null_source":true}`, []int{403}},
		{"POST", "/api/v1/tokens", fmt.Sprintf(`{"name":"wider","role":"support","tenant_ids":[%d]}`, B), []int{403, 422}},
		{"POST", fmt.Sprintf("/api/v1/endpoints/%d/enable", epB), "{}", []int{403}},
	}
	for _, ev := range []int64{w.evB, w.evHeldB, w.evZulu, w.evNoSource} {
		out = append(out,
			scopedAction{"POST", fmt.Sprintf("/admin/tenants/%d/endpoints/%d/mapping/preview", A, epA), preview(ev), []int{200}},
			scopedAction{"POST", "/api/v1/mapping/preview", fmt.Sprintf(`{"mapping":{"mode":"passthrough"},"event_id":%d}`, ev), nf},
			scopedAction{"POST", fmt.Sprintf("/api/v1/events/%d/replay", ev), fmt.Sprintf(`{"endpoint_id":%d}`, epA), nf})
	}
	return out
}

// checkActions runs actions() and then checks nothing of B's moved.
func (w *scopeWorld) checkActions(t *testing.T, page *pageClient, bearers []string) {
	t.Helper()
	for _, act := range w.actions() {
		if strings.HasPrefix(act.path, "/admin") {
			form, _ := url.ParseQuery(act.body)
			st, body, _ := page.post(act.path, form)
			w.checkAction(t, act, "page session", st, body)
			continue
		}
		for i, b := range bearers {
			st, body := w.a.call(t, act.method, act.path, act.body, b, nil)
			w.checkAction(t, act, bearerNames[i], st, body)
		}
	}
	var failedB, deliveriesB, eventsB, unrouted int64
	g := w.a.db.Gorm
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.Table("deliveries").Where("id = ? AND status = 'failed'", w.dB).Count(&failedB).Error)
	must(g.Table("deliveries").Where("tenant_id = ?", w.tenantB).Count(&deliveriesB).Error)
	must(g.Table("events").Where("tenant_id = ?", w.tenantB).Count(&eventsB).Error)
	must(g.Table("events").Where("tenant_id IS NULL").Count(&unrouted).Error)
	if failedB != 1 || deliveriesB != 1 || eventsB != 1 || unrouted != 4 {
		t.Errorf("after the scoped caller's actions: B's delivery failed %d, B's deliveries %d, B's events %d, unrouted events %d; want 1, 1, 1, 4",
			failedB, deliveriesB, eventsB, unrouted)
	}
}

func (w *scopeWorld) checkAction(t *testing.T, act scopedAction, who string, st int, body string) {
	t.Helper()
	what := act.method + " " + act.path + " " + act.body + " as the " + who
	if !slices.Contains(act.want, st) {
		t.Errorf("%s = %d, want %v: %.300s", what, st, act.want, body)
	}
	w.checkBody(t, what, act.path+" "+act.body, st, body)
}

var statValue = func(testid string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)data-testid="` + testid + `".*?<div class="value">([^<]*)<`)
}

// checkFigures: the dashboard, the lists and the CSV count A's only (and
// the admin's dashboard counts B's, so the comparison means something).
func (w *scopeWorld) checkFigures(t *testing.T, page *pageClient, bearers []string) {
	t.Helper()
	admin := newPageClient(t, w.a.base)
	admin.signIn("admin@example.com")
	// A's received events include the one held for its sourceId.
	want := map[string][2]string{"stat-received": {"2", "6"}, "stat-failed": {"0", "1"}, "stat-pending": {"1", "1"}, "stat-unrouted": {"1", "4"}}
	for _, window := range []string{"/admin", "/admin?window=7d"} {
		_, scoped, _ := page.do("GET", window, nil)
		_, all, _ := admin.do("GET", window, nil)
		for id, v := range want {
			for i, body := range []string{scoped, all} {
				m := statValue(id).FindStringSubmatch(body)
				if m == nil || m[1] != v[i] {
					t.Errorf("%s %s for the %s = %v, want %s", window, id, []string{"caller limited to A", "admin"}[i], m, v[i])
				}
			}
		}
	}
	_, csv, _ := page.do("GET", "/admin/deliveries.csv", nil)
	if lines := strings.Count(strings.TrimSpace(csv), "\n"); lines != 1 {
		t.Errorf("deliveries.csv for the caller limited to A has %d rows, want 1:\n%s", lines, csv)
	}
	for _, b := range bearers {
		for path, want := range map[string][]int64{"/api/v1/tenants": {w.tenantA}, "/api/v1/deliveries": {w.tenantA}, "/api/v1/unrouted": {w.tenantA}} {
			st, body := w.a.call(t, "GET", path, "", b, nil)
			var out struct {
				Items []struct {
					ID       int64 `json:"id"`
					TenantID int64 `json:"tenant_id"`
				} `json:"items"`
			}
			err := json.Unmarshal([]byte(body), &out)
			var got []int64
			for _, it := range out.Items {
				if path == "/api/v1/tenants" {
					got = append(got, it.ID)
				} else {
					got = append(got, it.TenantID)
				}
			}
			if st != http.StatusOK || err != nil || !slices.Equal(got, want) {
				t.Errorf("GET %s for the caller limited to A = %d, tenants %v (%v), want %v", path, st, got, err, want)
			}
		}
	}
}
