package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
)

// seedScale fills db with n tenants ("Tenant 1" … "Tenant n", sourceId
// org-scale-N) with one endpoint each, one event and one delivery per
// tenant (every seventh failed) received half an hour ago, and 30 held
// events of 5 unknown sourceIds. Bulk SQL, so 10,000 tenants take seconds
// on either dialect. The names sort unlike the ids ("Tenant 10" before
// "Tenant 9"), which is what a page naming tenants from a cut list gets wrong.
func seedScale(t testing.TB, db *gorm.DB, n int) {
	t.Helper()
	at := time.Now().UTC().Add(-30 * time.Minute)
	body := []byte(`{"event":"interview.evaluation","data":{"meetingCode":"m-scale","sourceId":"org-scale"}}`)
	const ours = "source_id LIKE 'org-scale-%'"
	steps := []struct {
		what, sql string
		args      []any
	}{
		{"tenants", `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
			INSERT INTO tenants (name, source_id, status, created_at, updated_at) SELECT 'Tenant ' || n, 'org-scale-' || n, 'active', ?, ? FROM seq`,
			[]any{n, at, at}},
		{"endpoints", `INSERT INTO endpoints (tenant_id, url, created_at, updated_at)
			SELECT id, 'https://ats.example.com/hooks/' || source_id, ?, ? FROM tenants WHERE ` + ours, []any{at, at}},
		{"events", `INSERT INTO events (event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body, received_at, candidate_name)
			SELECT 'interview.evaluation', 'm-scale-' || id, source_id, id, 1, 'fp-scale-' || id, ?, ?, 'Candidate ' || id FROM tenants WHERE ` + ours,
			[]any{body, at}},
		{"delivered", `INSERT INTO deliveries (event_id, tenant_id, endpoint_id, status, attempts, last_status_code, created_at, updated_at, delivered_at)
			SELECT e.id, e.tenant_id, ep.id, 'delivered', 1, 200, ?, ?, ? FROM events e JOIN endpoints ep ON ep.tenant_id = e.tenant_id
			WHERE e.meeting_code LIKE 'm-scale-%' AND e.id % 7 <> 0`, []any{at, at, at.Add(time.Second)}},
		{"failed", `INSERT INTO deliveries (event_id, tenant_id, endpoint_id, status, attempts, last_status_code, last_error, created_at, updated_at)
			SELECT e.id, e.tenant_id, ep.id, 'failed', 3, 500, 'endpoint answered 500', ?, ? FROM events e JOIN endpoints ep ON ep.tenant_id = e.tenant_id
			WHERE e.meeting_code LIKE 'm-scale-%' AND e.id % 7 = 0`, []any{at, at}},
		{"held events", `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 30)
			INSERT INTO events (event_type, meeting_code, source_id, revision, fingerprint, body, received_at)
			SELECT 'interview.transcript', 'm-held-' || n, 'org-unknown-' || (n % 5), 1, 'fp-held-' || n, ?, ? FROM seq`, []any{body, at}},
	}
	for _, s := range steps {
		if err := db.Exec(s.sql, s.args...).Error; err != nil {
			t.Fatalf("seed %s: %v", s.what, err)
		}
	}
}

// scaleSite is a server over a seeded database, an admin signed in, and a
// support user limited to 300 of the tenants.
type scaleSite struct {
	admin, support *pageClient
	tenantID       func(n int) int64 // the id of "Tenant n"
	supportID      int64
	supportScope   []int64
}

func newScaleSite(t *testing.T, dbURL string, tenants int) scaleSite {
	t.Helper()
	db := testdb.Open(t, dbURL)
	seedScale(t, db.Gorm, tenants)
	ids := map[int]int64{}
	var rows []struct {
		ID       int64
		SourceID string
	}
	if err := db.Gorm.Table("tenants").Select("id, source_id").Where("source_id LIKE 'org-scale-%'").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.SourceID, "org-scale-"))
		ids[n] = r.ID
	}
	site := scaleSite{tenantID: func(n int) int64 { return ids[n] }}
	for n := 1; len(site.supportScope) < 300 && n <= tenants; n += max(tenants/300, 1) {
		site.supportScope = append(site.supportScope, ids[n])
	}
	base, admin := adminSignedIn(t, dbURL) // first: the first admin is made only while there is no user
	site.admin = admin
	u, err := auth.NewStore(db.Gorm).CreateUserWithPassword(context.Background(),
		&auth.User{Email: "scoped-support@example.com", Role: auth.RoleSupport, TenantIDs: site.supportScope}, uiPassword)
	if err != nil {
		t.Fatal(err)
	}
	site.supportID = u.ID
	site.support = newPageClient(t, base)
	site.support.signIn("scoped-support@example.com")
	return site
}

// fetch GETs path as pc (with HX-Request when hx) and returns the status,
// the body and the time to the last byte.
func (pc *pageClient) fetch(path string, hx bool) (int, string, time.Duration) {
	pc.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, pc.base+path, nil)
	req.Header.Set("Accept", "text/html")
	if hx {
		req.Header.Set("HX-Request", "true")
	}
	start := time.Now()
	res, err := pc.http.Do(req)
	if err != nil {
		pc.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		pc.t.Fatal(err)
	}
	return res.StatusCode, string(b), time.Since(start)
}

// scalePage is one page the figures measure.
type scalePage struct {
	name, path string
	hx         bool
	support    bool // as the support user limited to 300 tenants
}

func scalePages(s scaleSite) []scalePage {
	one := strconv.FormatInt(s.tenantID(1999), 10)
	return []scalePage{
		{name: "dashboard", path: "/admin"},
		{name: "dashboard 7 d (htmx)", path: "/admin?window=7d", hx: true},
		{name: "deliveries", path: "/admin/deliveries"},
		{name: "deliveries failed (htmx)", path: "/admin/deliveries?status=failed", hx: true},
		{name: "deliveries of a tenant", path: "/admin/deliveries?tenant=" + one},
		{name: "deliveries by name", path: "/admin/deliveries?tenant_q=Tenant+1999"},
		{name: "deliveries by part of a name", path: "/admin/deliveries?tenant_q=enant+19"},
		{name: "deliveries CSV", path: "/admin/deliveries.csv"},
		{name: "tenant suggestions", path: "/admin/tenant-suggestions?tenant_q=enant+19", hx: true},
		{name: "events", path: "/admin/events"},
		{name: "unrouted", path: "/admin/unrouted"},
		{name: "tenants", path: "/admin/tenants"},
		{name: "tenants search", path: "/admin/tenants?q=Tenant+19"},
		{name: "audit", path: "/admin/audit"},
		{name: "users", path: "/admin/users"},
		{name: "user edit (300-tenant scope)", path: "/admin/users/" + strconv.FormatInt(s.supportID, 10)},
		{name: "deliveries (support, 300 tenants)", path: "/admin/deliveries", support: true},
		{name: "dashboard (support, 300 tenants)", path: "/admin", support: true},
	}
}

// TestUIScaleFigures prints each admin page's size and server time with
// SWITCHBOARD_UI_SCALE_TENANTS tenants (10000 for the README's figures) on
// each dialect; without the variable it is skipped. Reproduce with:
//
//	SWITCHBOARD_UI_SCALE_TENANTS=10000 SWITCHBOARD_TEST_POSTGRES_URL=… go test . -run TestUIScaleFigures -count=1 -v
func TestUIScaleFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SWITCHBOARD_UI_SCALE_TENANTS"))
	if n < 2000 {
		t.Skip("set SWITCHBOARD_UI_SCALE_TENANTS (at least 2000) to measure the admin pages")
	}
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			s := newScaleSite(t, target.URL, n)
			var out strings.Builder
			fmt.Fprintf(&out, "%d tenants, %s: page | status | KB | median ms (of 5)\n", n, target.Name)
			for _, pg := range scalePages(s) {
				pc := s.admin
				if pg.support {
					pc = s.support
				}
				var times []time.Duration
				var size, status int
				for range 5 {
					st, body, took := pc.fetch(pg.path, pg.hx)
					times = append(times, took)
					size, status = len(body), st
				}
				sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
				fmt.Fprintf(&out, "%s | %d | %.1f | %.1f\n", pg.name, status, float64(size)/1024, float64(times[2].Microseconds())/1000)
			}
			t.Log("\n" + out.String())
		})
	}
}

// maxPageKB bounds every admin page's HTML whatever the tenant count: the
// figures at 10,000 tenants are well under it, the pages that listed every
// tenant were over it at 2,000.
const maxPageKB = 120

var (
	optionTag     = regexp.MustCompile(`<option\b`)
	unnamedTenant = regexp.MustCompile(`>tenant \d+<|,tenant \d+,`) // a row whose tenant went unnamed
	checkedBox    = regexp.MustCompile(`type="checkbox"[^>]*checked`)
	deliveryRow   = regexp.MustCompile(`data-testid="delivery-row"`)
	tenantChoice  = regexp.MustCompile(`data-testid="tenant-choice"`)
)

// TestUIPagesBoundedByTenantCount: with 2,000 tenants the admin pages stay
// small (no select, datalist or checkbox group of every tenant or
// endpoint), every row names its tenant, and support still filters the
// deliveries by a tenant by typing its name, within their scope.
func TestUIPagesBoundedByTenantCount(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			s := newScaleSite(t, target.URL, 2000)
			for _, pg := range scalePages(s) {
				if strings.HasSuffix(pg.path, ".csv") {
					continue
				}
				pc := s.admin
				if pg.support {
					pc = s.support
				}
				st, body, _ := pc.fetch(pg.path, pg.hx)
				if st != http.StatusOK {
					t.Errorf("%s: status %d", pg.name, st)
				}
				if kb := len(body) / 1024; kb > maxPageKB {
					t.Errorf("%s: %d KB of HTML with 2,000 tenants, want at most %d", pg.name, kb, maxPageKB)
				}
				if n := len(optionTag.FindAllString(body, -1)); n > 100 {
					t.Errorf("%s: %d <option>s, want a bounded picker", pg.name, n)
				}
				if m := unnamedTenant.FindString(body); m != "" {
					t.Errorf("%s: a tenant shown by id (%q), want its name", pg.name, m)
				}
			}
			tenantFilterByName(t, s)
			scopePickerAtScale(t, s)
			_, csv, _ := s.admin.fetch("/admin/deliveries.csv", false)
			if lines := strings.Count(csv, "\n"); lines != 2001 {
				t.Errorf("CSV has %d lines, want a header and 2,000 deliveries", lines)
			}
			if m := unnamedTenant.FindString(csv); m != "" {
				t.Errorf("CSV names a tenant by id (%q), want its name", m)
			}
		})
	}
}

// tenantFilterByName: typing a tenant's name or sourceId filters by it and
// shows its name; part of a name lists a bounded set of tenants to choose;
// a support user finds none outside their scope.
func tenantFilterByName(t *testing.T, s scaleSite) {
	t.Helper()
	id1999 := strconv.FormatInt(s.tenantID(1999), 10)
	for _, path := range []string{"/admin/deliveries?tenant_q=Tenant+1999", "/admin/deliveries?tenant_q=org-scale-1999",
		"/admin/deliveries?tenant_q=tenant+1999&tenant=" + strconv.FormatInt(s.tenantID(5), 10)} {
		_, body, _ := s.admin.fetch(path, false)
		if n := len(deliveryRow.FindAllString(body, -1)); n != 1 || !strings.Contains(body, ">m-scale-") {
			t.Errorf("%s: %d rows, want Tenant 1999's one delivery", path, n)
		}
		if !strings.Contains(body, `value="Tenant 1999"`) || !strings.Contains(body, `name="tenant" value="`+id1999+`"`) {
			t.Errorf("%s: the tenant field does not show Tenant 1999", path)
		}
		if !strings.Contains(body, "tenant="+id1999) {
			t.Errorf("%s: the export link does not name the tenant by id", path)
		}
	}
	_, body, _ := s.admin.fetch("/admin/deliveries?tenant_q=enant+19", false) // no tenant is named so
	if n := len(tenantChoice.FindAllString(body, -1)); n != 50 || deliveryRow.MatchString(body) || !strings.Contains(body, "Only the first 50") {
		t.Errorf("part of a name: %d tenants to choose (want 50 of 111, no rows)", n)
	}
	outside := "Tenant 2000" // not among the support user's 300
	for _, id := range s.supportScope {
		if id == s.tenantID(2000) {
			t.Fatal("Tenant 2000 is in the support user's scope")
		}
	}
	_, body, _ = s.support.fetch("/admin/deliveries?tenant_q="+url.QueryEscape(outside), false)
	if deliveryRow.MatchString(body) || !strings.Contains(body, "No tenant matches") {
		t.Errorf("support searching a tenant outside their scope: want no match")
	}
	_, body, _ = s.support.fetch("/admin/tenant-suggestions?tenant_q="+url.QueryEscape(outside), true)
	if strings.Contains(body, outside) {
		t.Errorf("suggestions offer support a tenant outside their scope:\n%s", body)
	}
}

// scopePickerAtScale: the users pages show a scoped user's own tenants
// ticked (not 2,000 checkboxes), and a tenant is added by typing it.
func scopePickerAtScale(t *testing.T, s scaleSite) {
	t.Helper()
	path := "/admin/users/" + strconv.FormatInt(s.supportID, 10)
	_, body, _ := s.admin.fetch(path, false)
	if n := len(checkedBox.FindAllString(body, -1)); n != 300 || strings.Count(body, `type="checkbox"`) != 300 {
		t.Errorf("edit page: %d ticked of %d checkboxes, want the 300 of the user's scope", n, strings.Count(body, `type="checkbox"`))
	}
	form := url.Values{"role": {"support"}, "tenant_q": {"org-scale-2000"}}
	for _, id := range s.supportScope {
		form.Add("tenant_ids", strconv.FormatInt(id, 10))
	}
	if st, _, loc := s.admin.post(path, form); st != http.StatusSeeOther {
		t.Fatalf("add a tenant by sourceId: %d → %q", st, loc)
	}
	_, body, _ = s.admin.fetch(path, false)
	if n := len(checkedBox.FindAllString(body, -1)); n != 301 || !strings.Contains(body, "Tenant 2000") {
		t.Errorf("after adding Tenant 2000: %d ticked, want 301 with it", n)
	}
	form.Set("tenant_q", "enant 20")
	want := 301 // and the matches not ticked yet
	for _, n := range []int{20, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209} {
		if !slices.Contains(s.supportScope, s.tenantID(n)) {
			want++
		}
	}
	st, body, _ := s.admin.post(path, form)
	if got := strings.Count(body, `type="checkbox"`); st != http.StatusUnprocessableEntity || !strings.Contains(body, "matches several tenants") ||
		!strings.Contains(body, "Tenant 208") || got != want {
		t.Errorf("part of a name: %d with %d checkboxes, want 422 with %d (the matches to tick)", st, got, want)
	}
}
