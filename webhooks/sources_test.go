package webhooks

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestSourcesSelectSecrets: each platform account verifies with its own
// secret, selected by X-Boooply-Platform; platform-less sources join the
// static secret; a rotation keeps the old secret valid for the overlap only.
func TestSourcesSelectSecrets(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		kr := testKeyring(t)
		store := NewSourceStore(db.Gorm, kr)
		now := time.Now().UTC()
		store.now = func() time.Time { return now }
		talent := &Source{Name: "TalentFlow", Platform: "talentflow"}
		talentSecret, err := store.CreateSource(ctx, talent, "")
		if err != nil || !strings.HasPrefix(talentSecret, "whsec_") {
			t.Fatalf("create: %q, %v", talentSecret, err)
		}
		other := &Source{Name: "Second account"}
		otherSecret, err := store.CreateSource(ctx, other, "second-account-secret-1")
		if err != nil || otherSecret != "second-account-secret-1" {
			t.Fatalf("create with given secret: %q, %v", otherSecret, err)
		}
		if _, err := store.CreateSource(ctx, &Source{Name: "dup", Platform: "talentflow"}, ""); !isCode(err, problem.CodeConflict) {
			t.Fatalf("duplicate platform: %v, want conflict", err)
		}
		if _, err := store.CreateSource(ctx, &Source{Name: "short"}, "short"); !isCode(err, problem.CodeInvalid) {
			t.Fatalf("short secret: %v, want invalid", err)
		}
		var sealed string
		db.Gorm.Raw("SELECT secret_sealed FROM source_secrets WHERE source_id = ?", talent.ID).Scan(&sealed)
		if sealed == "" || strings.Contains(sealed, talentSecret) {
			t.Fatalf("secret stored as %q: want it sealed", sealed)
		}

		keys := NewKeys(db.Gorm, kr, []string{"static-secret-0001"}, discardLog())
		keys.now = func() time.Time { return now }
		if err := keys.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		body := []byte(`{"event":"interview.scores","data":{"meetingCode":"m"}}`)
		check := func(name, platform, secret string, want error) {
			t.Helper()
			if err := VerifyWith(keys.Candidates(platform, ""), body, sign(secret, body)); err != want {
				t.Errorf("%s: got %v, want %v", name, err, want)
			}
		}
		check("platform source by its header", "talentflow", talentSecret, nil)
		check("platform source without its header", "", talentSecret, ErrBadSignature)
		check("static secret under a platform header", "talentflow", "static-secret-0001", ErrBadSignature)
		check("platform-less source", "", otherSecret, nil)
		check("static secret", "", "static-secret-0001", nil)
		check("unknown platform falls back to the defaults", "custom", otherSecret, nil)

		newSecret, err := store.RotateSecret(ctx, talent.ID, "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := keys.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		check("new secret after rotation", "talentflow", newSecret, nil)
		check("old secret during the overlap", "talentflow", talentSecret, nil)
		keys.now = func() time.Time { return now.Add(2 * time.Hour) }
		check("old secret after the overlap", "talentflow", talentSecret, ErrBadSignature)
		check("new secret after the overlap", "talentflow", newSecret, nil)

		got, err := store.FindSource(ctx, talent.ID)
		if err != nil || len(got.Secrets) != 2 || got.Secrets[0].ExpiresAt == nil || got.Secrets[1].ExpiresAt != nil {
			t.Fatalf("FindSource = %+v, %v; want secret 1 expiring, secret 2 current", got, err)
		}
		if err := store.DeleteSecret(ctx, talent.ID, 2); err != nil {
			t.Fatal(err)
		}
		_ = keys.Reload(ctx)
		check("deleted secret", "talentflow", newSecret, ErrUnknownSource)
	})
}

func isCode(err error, code problem.Code) bool {
	p, ok := problem.As(err)
	return ok && p.Code == code
}

// TestTenantInboundSecret: a tenant with its own secret accepts only events
// signed with it; the unverified sourceId merely selects that secret.
func TestTenantInboundSecret(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		kr := testKeyring(t)
		tn := mustCreateTenant(t, db, "org_own", "https://a.example/hook")
		sealed, _ := kr.Seal([]byte("tenant-own-secret-1"), TenantInboundContext(tn.ID))
		if err := db.Gorm.Model(&tenants.Tenant{}).Where("id = ?", tn.ID).Update("inbound_secret_sealed", sealed).Error; err != nil {
			t.Fatal(err)
		}
		h, _, _ := newTestHandler(t, db, BearerAccepted, hookSecret)
		app := testApp(h)
		own := []byte(`{"event":"interview.scores","data":{"meetingCode":"m1","sourceId":"org_own"}}`)
		cases := []struct {
			name   string
			body   []byte
			secret string
			want   int
		}{
			{"platform secret cannot speak for a tenant with its own", own, hookSecret, 401},
			{"tenant's own secret", own, "tenant-own-secret-1", 200},
			{"tenant secret cannot sign another organization's events", []byte(`{"event":"interview.scores","data":{"meetingCode":"m2","sourceId":"org_other"}}`), "tenant-own-secret-1", 401},
			{"repeated data cannot verify as one tenant and route as another", []byte(`{"event":"interview.scores","data":{"meetingCode":"m4","sourceId":"org_own"},"data":{"meetingCode":"m4","sourceId":"org_other"}}`), "tenant-own-secret-1", 400},
			{"platform secret for other organizations", []byte(`{"event":"interview.scores","data":{"meetingCode":"m3","sourceId":"org_other"}}`), hookSecret, 200},
		}
		for _, tc := range cases {
			status, body, _ := postWebhook(t, app, tc.body, map[string]string{"X-Boooply-Signature": sign(tc.secret, tc.body)})
			if status != tc.want {
				t.Errorf("%s: got %d %s, want %d", tc.name, status, body, tc.want)
			}
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events"); n != 2 {
			t.Errorf("events = %d, want 2", n)
		}
	})
}

// TestTenantInboundRotation: after a tenant's own inbound secret is rotated,
// events signed with either secret verify until the overlap ends, then only
// the new one does: Boooply switches over without a rejected event.
func TestTenantInboundRotation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		tn := mustCreateTenant(t, db, "org_rot", "https://a.example/hook")
		ed := tenants.NewEditor(tenants.NewStore(db.Gorm), testKeyring(t), nil, nil)
		old := "tenant-own-secret-old"
		if _, err := ed.UpdateTenant(context.Background(), tn.ID, tenants.TenantUpdate{InboundSecret: &old}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ed.RotateInboundSecret(context.Background(), tn.ID, 31*24*time.Hour); !isCode(err, problem.CodeInvalid) {
			t.Fatalf("an overlap past the cap: %v, want 422", err)
		}
		fresh, after, err := ed.RotateInboundSecret(context.Background(), tn.ID, time.Hour)
		if err != nil || !strings.HasPrefix(fresh, "whsec_") || after.PreviousInboundExpiresAt == nil {
			t.Fatalf("rotate: %q %+v %v", fresh, after, err)
		}
		h, keys, _ := newTestHandler(t, db, BearerAccepted, hookSecret)
		app := testApp(h)
		post := func(code, secret string) int {
			body := []byte(`{"event":"interview.scores","data":{"meetingCode":"` + code + `","sourceId":"org_rot"}}`)
			status, _, _ := postWebhook(t, app, body, map[string]string{"X-Boooply-Signature": sign(secret, body)})
			return status
		}
		if st := post("r1", old); st != 200 {
			t.Errorf("the previous secret during the overlap: %d, want 200", st)
		}
		if st := post("r2", fresh); st != 200 {
			t.Errorf("the new secret: %d, want 200", st)
		}
		if st := post("r3", hookSecret); st != 401 {
			t.Errorf("the platform secret for a tenant with its own: %d, want 401", st)
		}
		keys.now = func() time.Time { return after.PreviousInboundExpiresAt.Add(time.Second) }
		if st := post("r4", old); st != 401 {
			t.Errorf("the previous secret after the overlap: %d, want 401", st)
		}
		if st := post("r5", fresh); st != 200 {
			t.Errorf("the new secret after the overlap: %d, want 200", st)
		}
		// Setting a secret by hand replaces both: no earlier one keeps verifying.
		manual := "tenant-own-secret-manual"
		if t2, err := ed.UpdateTenant(context.Background(), tn.ID, tenants.TenantUpdate{InboundSecret: &manual}); err != nil || t2.PreviousInboundSecretSealed != "" {
			t.Fatalf("set by hand: %+v %v, want no previous secret", t2, err)
		}
	})
}

// TestUnknownSource: with only platform sources configured, a request that
// names no known platform has no secret to try.
func TestUnknownSource(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		if _, err := NewSourceStore(db.Gorm, testKeyring(t)).CreateSource(context.Background(), &Source{Name: "P", Platform: "p1"}, "platform-one-secret"); err != nil {
			t.Fatal(err)
		}
		h, _, _ := newTestHandler(t, db, BearerAccepted)
		app := testApp(h)
		body := []byte(`{"event":"interview.scores","data":{"meetingCode":"m"}}`)
		status, ans, _ := postWebhook(t, app, body, map[string]string{"X-Boooply-Signature": sign("platform-one-secret", body)})
		if status != 401 || !strings.Contains(ans, "unknown_source") || strings.Contains(ans, "platform-one-secret") {
			t.Fatalf("no platform header: %d %s, want 401 unknown_source", status, ans)
		}
		status, ans, _ = postWebhook(t, app, body, map[string]string{"X-Boooply-Signature": sign("platform-one-secret", body), "X-Boooply-Platform": "p1"})
		if status != 200 {
			t.Fatalf("with platform header: %d %s, want 200", status, ans)
		}
	})
}

// TestSourcesAPI: admin-only, the secret is shown once, changes apply to
// verification at once.
func TestSourcesAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		kr := testKeyring(t)
		keys := NewKeys(db.Gorm, kr, nil, discardLog())
		sh := NewSourcesHandler(NewSourceStore(db.Gorm, kr), keys)
		apps := map[auth.Role]*fiber.App{}
		for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleViewer, auth.RoleSupport, ""} {
			apps[role] = testApp(nil, func(app *fiber.App) { SourcesRoutes(app.Group("/api/v1", asRole(role, db.Gorm)), sh) })
		}
		do := func(role auth.Role, method, path, body string) (int, string) {
			t.Helper()
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := apps[role].Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		status, body := do(auth.RoleAdmin, "POST", "/api/v1/sources", `{"name":"TalentFlow","platform":"tf"}`)
		var created sourceCreated
		if status != 201 || json.Unmarshal([]byte(body), &created) != nil || created.Secret == "" || created.Source.ID == 0 {
			t.Fatalf("create: %d %s", status, body)
		}
		body0 := []byte(`{"event":"interview.scores","data":{"meetingCode":"m"}}`)
		if err := VerifyWith(keys.Candidates("tf", ""), body0, sign(created.Secret, body0)); err != nil {
			t.Fatalf("new source's secret does not verify at once: %v", err)
		}
		id := "/api/v1/sources/" + strconv.FormatInt(created.Source.ID, 10)
		cases := []struct {
			name         string
			role         auth.Role
			method, path string
			body         string
			wantStatus   int
			wantContains string
		}{
			{"list", auth.RoleAdmin, "GET", "/api/v1/sources", "", 200, `"platform":"tf"`},
			{"show", auth.RoleAdmin, "GET", id, "", 200, `"hint":"whsec_…`},
			{"viewer may not list", auth.RoleViewer, "GET", "/api/v1/sources", "", 403, "forbidden"},
			{"support may not create", auth.RoleSupport, "POST", "/api/v1/sources", `{"name":"x"}`, 403, "forbidden"},
			{"anonymous", "", "GET", "/api/v1/sources", "", 401, "unauthorized"},
			{"missing name", auth.RoleAdmin, "POST", "/api/v1/sources", `{"platform":"x"}`, 422, "name"},
			{"not json", auth.RoleAdmin, "POST", "/api/v1/sources", `{`, 400, "bad_request"},
			{"unknown id", auth.RoleAdmin, "GET", "/api/v1/sources/999", "", 404, "not_found"},
			{"rename", auth.RoleAdmin, "PATCH", id, `{"name":"Renamed"}`, 200, `"name":"Renamed"`},
			// Overlaps that overflowed time.Duration into an instant expiry or a "negative" one.
			{"overlap past a Duration", auth.RoleAdmin, "POST", id + "/secrets", `{"overlap_seconds":18446744074}`, 422, `"reason":"must be between 0 and 2592000 (30 days)"`},
			{"overlap of max int64", auth.RoleAdmin, "POST", id + "/secrets", `{"overlap_seconds":9223372036854775807}`, 422, `"field":"overlap_seconds"`},
			{"overlap a second past the cap", auth.RoleAdmin, "POST", id + "/secrets", `{"overlap_seconds":2592001}`, 422, `"field":"overlap_seconds"`},
			{"negative overlap", auth.RoleAdmin, "POST", id + "/secrets", `{"overlap_seconds":-1}`, 422, `"field":"overlap_seconds"`},
			{"rotate", auth.RoleAdmin, "POST", id + "/secrets", `{"overlap_seconds":60}`, 201, `"number":2`}, // refused rotations added nothing
			{"rotate at the cap", auth.RoleAdmin, "POST", id + "/secrets", `{"overlap_seconds":2592000}`, 201, `"number":3`},
			{"delete unknown secret", auth.RoleAdmin, "DELETE", id + "/secrets/9", "", 404, "not_found"},
		}
		for _, tc := range cases {
			status, body := do(tc.role, tc.method, tc.path, tc.body)
			if status != tc.wantStatus || !strings.Contains(body, tc.wantContains) {
				t.Errorf("%s: got %d %s, want %d containing %q", tc.name, status, body, tc.wantStatus, tc.wantContains)
			}
			if tc.method == "GET" && strings.Contains(body, created.Secret) {
				t.Errorf("%s: a read shows the secret again", tc.name)
			}
		}
		got, err := sh.store.FindSource(context.Background(), created.Source.ID)
		if err != nil || len(got.Secrets) != 3 || got.Secrets[1].ExpiresAt == nil || time.Until(*got.Secrets[1].ExpiresAt) < MaxRotationOverlap-time.Minute {
			t.Fatalf("after a rotation at the cap: %+v, %v; want secret 2 valid for about 30 days", got, err)
		}
		if status, _ := do(auth.RoleAdmin, "DELETE", id, ""); status != 204 {
			t.Fatalf("delete: %d", status)
		}
		if err := VerifyWith(keys.Candidates("tf", ""), body0, sign(created.Secret, body0)); err == nil {
			t.Fatal("a deleted source's secret still verifies")
		}
	})
}

// TestIngestBeforeKeysLoad: while the sources and tenants' secrets have
// never been read (the database was unreachable at start), a genuine event
// is Switchboard's problem: 503 with Retry-After, not a 401 that tells
// Boooply its signature is wrong, and nothing is stored. The first load
// that succeeds lets it through.
func TestIngestBeforeKeysLoad(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		kr := testKeyring(t)
		const secret = "whsec_source_before_load_01"
		if _, err := NewSourceStore(db.Gorm, kr).CreateSource(ctx, &Source{Name: "Acme"}, secret); err != nil {
			t.Fatal(err)
		}
		keys := NewKeys(db.Gorm, kr, nil, discardLog())
		gone, cancel := context.WithCancel(ctx)
		cancel()
		if err := keys.Reload(gone); err == nil {
			t.Fatal("a reload with a cancelled context succeeded; the test needs it to fail")
		}
		app := testApp(NewHandler(newTestService(t, db), keys, BearerAccepted, discardLog()))
		body := []byte(`{"event":"interview.scores","data":{"meetingCode":"before-load","sourceId":"org_a"}}`)
		status, ans, hdr := postWebhook(t, app, body, map[string]string{"X-Boooply-Signature": sign(secret, body)})
		if status != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(ans, "unavailable") {
			t.Fatalf("before the first load: got %d %s (Retry-After %q), want 503 with Retry-After", status, ans, hdr.Get("Retry-After"))
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events"); n != 0 {
			t.Fatalf("events stored before the first load = %d, want 0", n)
		}
		if err := keys.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if status, ans, _ := postWebhook(t, app, body, map[string]string{"X-Boooply-Signature": sign(secret, body)}); status != 200 {
			t.Fatalf("after the first load: got %d %s, want 200", status, ans)
		}
	})
}
