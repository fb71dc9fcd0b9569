package auth

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

func TestUserAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		admin := f.mustUser(t, "admin@example.com", RoleAdmin)
		tok := f.scriptToken(t, admin.Email)
		cases := []struct {
			name, method, path, body string
			want                     int
			wantContains             string
		}{
			{name: "create", method: "POST", path: "/api/v1/users", body: `{"email":"Sup@Example.com","name":"Sue","role":"support","tenant_ids":[3]}`, want: 201, wantContains: `"password":"`},
			{name: "email taken in another case", method: "POST", path: "/api/v1/users", body: `{"email":"SUP@example.com","role":"viewer","password":"long enough password"}`, want: 409},
			{name: "bad role", method: "POST", path: "/api/v1/users", body: `{"email":"x@example.com","role":"root"}`, want: 422, wantContains: `"field":"role"`},
			{name: "bad email", method: "POST", path: "/api/v1/users", body: `{"email":"not-an-email","role":"viewer"}`, want: 422, wantContains: `"field":"email"`},
			{name: "short password", method: "POST", path: "/api/v1/users", body: `{"email":"y@example.com","role":"viewer","password":"short"}`, want: 422, wantContains: `"field":"password"`},
			{name: "admin limited to tenants", method: "POST", path: "/api/v1/users", body: `{"email":"z@example.com","role":"admin","tenant_ids":[1]}`, want: 422},
			{name: "unknown field", method: "POST", path: "/api/v1/users", body: `{"email":"z@example.com","role":"viewer","is_root":true}`, want: 400},
			{name: "malformed JSON", method: "POST", path: "/api/v1/users", body: `{"email":`, want: 400},
			{name: "show", method: "GET", path: "/api/v1/users/2", want: 200, wantContains: `"tenant_ids":[3]`},
			{name: "show unknown", method: "GET", path: "/api/v1/users/999", want: 404},
			{name: "show bad id", method: "GET", path: "/api/v1/users/abc", want: 404},
			{name: "lift the tenant limit", method: "PATCH", path: "/api/v1/users/2", body: `{"tenant_ids":null}`, want: 200, wantContains: `"tenant_ids":null`},
			{name: "demote the last admin", method: "PATCH", path: "/api/v1/users/1", body: `{"role":"viewer"}`, want: 409},
			{name: "disable the last admin", method: "PATCH", path: "/api/v1/users/1", body: `{"disabled":true}`, want: 409},
			{name: "list", method: "GET", path: "/api/v1/users", want: 200, wantContains: "sup@example.com"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := f.do(t, req{method: tc.method, path: tc.path, body: tc.body, bearer: tok})
				if r.status != tc.want || !strings.Contains(r.body, tc.wantContains) {
					t.Fatalf("%s %s = %d %s, want %d containing %q", tc.method, tc.path, r.status, r.body, tc.want, tc.wantContains)
				}
				if strings.Contains(r.body, "argon2id") {
					t.Fatalf("response contains a password hash: %s", r.body)
				}
			})
		}
	})
}

// TestUserPatchScope: PATCH /users/:id refuses a tenant list for an admin
// (422, as create does) and signs the user out only when role, scope or the
// disabled flag really change. Cases run in order on the same accounts.
func TestUserPatchScope(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		tok := f.scriptToken(t, f.mustUser(t, "admin@example.com", RoleAdmin).Email)
		users := map[string]*User{
			"other": f.mustUser(t, "other@example.com", RoleAdmin),
			"sup":   f.mustUser(t, "sup@example.com", RoleSupport, 3),
			"view":  f.mustUser(t, "view@example.com", RoleViewer),
		}
		cases := []struct {
			name, user, body string
			want             int
			wantContains     string
			wantSignedOut    bool
		}{
			{name: "admin limited to a tenant", user: "other", body: `{"tenant_ids":[1]}`, want: 422, wantContains: "an admin cannot be limited to tenants"},
			{name: "admin given an empty list", user: "other", body: `{"tenant_ids":[]}`, want: 422, wantContains: `"field":"tenant_ids"`},
			{name: "promotion with a tenant list", user: "sup", body: `{"role":"admin","tenant_ids":[3]}`, want: 422, wantContains: "an admin cannot be limited to tenants"},
			{name: "admin's null scope again", user: "other", body: `{"tenant_ids":null}`, want: 200, wantContains: `"tenant_ids":null`},
			{name: "unscoped user's null scope again", user: "view", body: `{"tenant_ids":null}`, want: 200, wantContains: `"tenant_ids":null`},
			{name: "same role", user: "sup", body: `{"role":"support"}`, want: 200, wantContains: `"tenant_ids":[3]`},
			{name: "same scope", user: "sup", body: `{"tenant_ids":[3,3]}`, want: 200, wantContains: `"role":"support"`},
			{name: "name only", user: "sup", body: `{"name":"Sue"}`, want: 200, wantContains: `"name":"Sue"`},
			{name: "wider scope", user: "sup", body: `{"tenant_ids":[3,4]}`, want: 200, wantContains: `"tenant_ids":[3,4]`, wantSignedOut: true},
			{name: "scope lifted", user: "sup", body: `{"tenant_ids":null}`, want: 200, wantContains: `"tenant_ids":null`, wantSignedOut: true},
			{name: "unscoped user limited", user: "view", body: `{"tenant_ids":[2]}`, want: 200, wantContains: `"tenant_ids":[2]`, wantSignedOut: true},
			{name: "scoped user promoted drops the list", user: "view", body: `{"role":"admin"}`, want: 200, wantContains: `"tenant_ids":null`, wantSignedOut: true},
			{name: "admin demoted and limited", user: "other", body: `{"role":"viewer","tenant_ids":[5]}`, want: 200, wantContains: `"tenant_ids":[5]`, wantSignedOut: true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				u := users[tc.user]
				userTok := f.scriptToken(t, u.Email)
				path := "/api/v1/users/" + itoa(u.ID)
				r := f.do(t, req{method: "PATCH", path: path, body: tc.body, bearer: tok})
				if r.status != tc.want || !strings.Contains(r.body, tc.wantContains) {
					t.Fatalf("PATCH %s %s = %d %s, want %d containing %q", path, tc.body, r.status, r.body, tc.want, tc.wantContains)
				}
				wantMe := map[bool]int{false: 200, true: 401}[tc.wantSignedOut]
				if me := f.do(t, req{method: "GET", path: "/api/v1/me", bearer: userTok}); me.status != wantMe {
					t.Fatalf("the user's token after the PATCH: GET /me = %d, want %d", me.status, wantMe)
				}
			})
		}
	})
}

// TestRoleMatrixAuthRoutes: every accounts route for each role and for no
// credentials. The whole-API matrix (all packages' routes) is in package main.
func TestRoleMatrixAuthRoutes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		tokens := map[Role]string{}
		for _, r := range []Role{RoleAdmin, RoleSupport, RoleViewer} {
			u := f.mustUser(t, string(r)+"@example.com", r)
			tokens[r] = f.scriptToken(t, u.Email)
		}
		routes := []struct {
			method, path, body     string
			admin, support, viewer int
			anonymous              int
		}{
			{"GET", "/api/v1/me", "", 200, 200, 200, 401},
			{"GET", "/api/v1/users", "", 200, 403, 403, 401},
			{"POST", "/api/v1/users", `{"email":"n@example.com","role":"viewer"}`, 201, 403, 403, 401},
			{"GET", "/api/v1/users/1", "", 200, 403, 403, 401},
			{"PATCH", "/api/v1/users/3", `{"name":"V"}`, 200, 403, 403, 401},
			{"GET", "/api/v1/tokens", "", 200, 200, 200, 401},
			{"POST", "/api/v1/tokens", `{"name":"t","role":"viewer"}`, 201, 201, 201, 401},
			{"DELETE", "/api/v1/tokens/999", "", 404, 404, 404, 401},
			{"GET", "/api/v1/audit", "", 200, 403, 403, 401},
			{"GET", "/api/v1/audit.csv", "", 200, 403, 403, 401},
			{"POST", "/api/v1/auth/logout", "", 204, 204, 204, 204},
			{"POST", "/api/v1/auth/token", `{"email":"x@example.com","password":"nope"}`, 401, 401, 401, 401},
			{"GET", "/api/v1/auth/setup?token=nope", "", 401, 401, 401, 401},
		}
		for _, rt := range routes {
			for role, want := range map[Role]int{RoleAdmin: rt.admin, RoleSupport: rt.support, RoleViewer: rt.viewer, "": rt.anonymous} {
				t.Run(rt.method+" "+rt.path+" as "+string(role), func(t *testing.T) {
					r := f.do(t, req{method: rt.method, path: rt.path, body: rt.body, bearer: tokens[role]})
					if r.status != want {
						t.Fatalf("= %d %s, want %d", r.status, r.body, want)
					}
				})
			}
		}
	})
}

func TestAuditTrail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		admin := f.mustUser(t, "admin@example.com", RoleAdmin)
		tok := f.scriptToken(t, admin.Email)
		const secretPW = "my very secret password 123"
		r := f.do(t, req{method: "POST", path: "/api/v1/users", bearer: tok,
			body: `{"email":"s@example.com","role":"support","password":"` + secretPW + `"}`})
		if r.status != 201 {
			t.Fatalf("create = %d %s", r.status, r.body)
		}
		patch := f.do(t, req{method: "PATCH", path: "/api/v1/users/2", bearer: tok, body: `{"role":"viewer","password":"` + secretPW + `!"}`})
		created := f.do(t, req{method: "POST", path: "/api/v1/tokens", bearer: tok, body: `{"name":"ci","role":"viewer"}`})
		var tk struct{ Token string }
		mustDecode(t, created.body, &tk)
		_ = f.do(t, req{method: "POST", path: "/api/v1/auth/login", body: `{"email":"admin@example.com","password":"` + secretPW + `"}`})
		if patch.status != 200 || created.status != 201 {
			t.Fatalf("patch %d, token %d", patch.status, created.status)
		}
		list := f.do(t, req{method: "GET", path: "/api/v1/audit?action=user.update&actor=ADMIN@example.com", bearer: tok})
		if list.status != 200 || !strings.Contains(list.body, `\"role\":\"support\"`) || !strings.Contains(list.body, `\"role\":\"viewer\"`) || strings.Count(list.body, `"action":`) != 1 {
			t.Fatalf("audit search = %d %s, want one user.update with before and after roles", list.status, list.body)
		}
		csvResp := f.do(t, req{method: "GET", path: "/api/v1/audit.csv", bearer: tok})
		rows, err := csv.NewReader(strings.NewReader(csvResp.body)).ReadAll()
		if err != nil || csvResp.status != 200 || len(rows) < 5 || rows[0][6] != "action" || !strings.HasPrefix(csvResp.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv = %d, %d rows (err %v): %s", csvResp.status, len(rows), err, csvResp.body)
		}
		for _, q := range []string{"since=yesterday", "limit=0", "limit=-1", "limit=abc", "limit=501"} {
			if r := f.do(t, req{method: "GET", path: "/api/v1/audit?" + q, bearer: tok}); r.status != 422 {
				t.Fatalf("GET /audit?%s = %d %s, want 422", q, r.status, r.body)
			}
		}
		if r := f.do(t, req{method: "GET", path: "/api/v1/audit?limit=1", bearer: tok}); r.status != 200 || strings.Count(r.body, `"action":`) != 1 {
			t.Fatalf("GET /audit?limit=1 = %d %s, want one entry", r.status, r.body)
		}
		everything := csvResp.body + list.body + f.logs.String() + f.do(t, req{method: "GET", path: "/api/v1/tokens", bearer: tok}).body
		for _, secret := range []string{secretPW, tk.Token, tok, "argon2id"} {
			if strings.Contains(everything, secret) {
				t.Fatalf("a secret (%.12s…) appears in the audit trail, logs or API listings", secret)
			}
		}
	})
}

func TestAuditPaging(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		store := NewStore(db.Gorm)
		ctx := context.Background()
		for i := range 7 {
			tenant := int64(i%2 + 1)
			if err := store.Record(ctx, &Entry{Action: "tenant.update", TenantID: &tenant, Target: "tenant:" + itoa(tenant)}); err != nil {
				t.Fatal(err)
			}
		}
		var seen []int64
		f := AuditFilter{TenantID: 1, Limit: 2}
		for range 10 {
			page, next, err := store.ListAudit(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				if *e.TenantID != 1 {
					t.Fatalf("entry %d of tenant %d in a tenant 1 search", e.ID, *e.TenantID)
				}
				seen = append(seen, e.ID)
			}
			if next == 0 {
				break
			}
			f.Cursor = next
		}
		if len(seen) != 4 || seen[0] < seen[3] {
			t.Fatalf("paged ids %v, want 4 newest first", seen)
		}
	})
}

func TestRedact(t *testing.T) {
	in := map[string]any{"name": "Acme", "auth_secret": "s3", "Headers": map[string]any{"Authorization": "Bearer x", "X-Trace": "1"},
		"endpoints": []any{map[string]any{"signing_key": "k", "url": "https://a"}}, "api_token": "", "password": nil}
	got, err := Redact(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"s3", "Bearer x", `"k"`} {
		if strings.Contains(*got, leak) {
			t.Fatalf("Redact = %s, leaks %s", *got, leak)
		}
	}
	for _, keep := range []string{"Acme", "https://a", `"X-Trace":"1"`, `"api_token":""`} {
		if !strings.Contains(*got, keep) {
			t.Fatalf("Redact = %s, lost %s", *got, keep)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword(testPassword)
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q, %v", h, err)
	}
	h2, _ := HashPassword(testPassword)
	cases := []struct {
		name, hash, pw string
		want           bool
	}{
		{"right", h, testPassword, true},
		{"wrong", h, testPassword + "!", false},
		{"empty", h, "", false},
		{"other salt", h2, testPassword, true},
		{"malformed", "$argon2id$v=19$m=x$a$b", testPassword, false},
		{"bcrypt-looking", "$2a$10$abcdefghijklmnopqrstuv", testPassword, false},
		{"huge memory refused", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaA", testPassword, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckPassword(tc.hash, tc.pw); got != tc.want {
				t.Fatalf("CheckPassword = %v, want %v", got, tc.want)
			}
		})
	}
}
