package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// forge signs claims for u with an arbitrary method and key, as an attacker would.
func forge(t *testing.T, f *fixture, u *User, method jwt.SigningMethod, key any, kid string, exp time.Duration) string {
	t.Helper()
	c := sessionClaims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: jwtIssuer, Subject: strconv.FormatInt(u.ID, 10),
			IssuedAt: jwt.NewNumericDate(f.now.Add(-time.Minute)), ExpiresAt: jwt.NewNumericDate(f.now.Add(exp))},
		TokenVersion: u.TokenVersion, Kind: kindScript, Started: f.now.Unix(),
	}
	tok := jwt.NewWithClaims(method, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		admin := f.mustUser(t, "admin@example.com", RoleAdmin)
		gone := f.mustUser(t, "gone@example.com", RoleViewer)
		key, kid := f.svc.keys.byKID[f.ring.KeyID()], f.ring.KeyID()
		good := f.scriptToken(t, admin.Email)
		goneTok := f.scriptToken(t, gone.Email)
		if _, _, err := f.svc.store.UpdateUser(ctx, gone.ID, UserUpdate{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		pub, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
		pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
		parts := strings.Split(good, ".")
		noneTok := b64(`{"alg":"none","typ":"JWT","kid":"`+kid+`"}`) + "." + parts[1] + "."
		cases := []struct {
			name, token string
			want        int
		}{
			{name: "valid", token: good, want: 200},
			{name: "control: HS256 with the real key", token: forge(t, f, admin, jwt.SigningMethodHS256, key, kid, time.Hour), want: 200},
			{name: "expired", token: forge(t, f, admin, jwt.SigningMethodHS256, key, kid, -time.Minute), want: 401},
			{name: "tampered payload", token: parts[0] + "." + b64(strings.Replace(unb64(t, parts[1]), `"sub":"`+itoa(admin.ID), `"sub":"`+itoa(gone.ID), 1)) + "." + parts[2], want: 401},
			{name: "tampered signature", token: parts[0] + "." + parts[1] + "." + flip(parts[2]), want: 401},
			{name: "alg none", token: noneTok, want: 401},
			{name: "HS512 with the right key", token: forge(t, f, admin, jwt.SigningMethodHS512, key, kid, time.Hour), want: 401},
			{name: "RS256 signed by attacker", token: forge(t, f, admin, jwt.SigningMethodRS256, rsaKey, kid, time.Hour), want: 401},
			{name: "HS256 keyed with a public key (RS256 confusion)", token: forge(t, f, admin, jwt.SigningMethodHS256, pubPEM, kid, time.Hour), want: 401},
			{name: "unknown kid", token: forge(t, f, admin, jwt.SigningMethodHS256, key, "deadbeef", time.Hour), want: 401},
			{name: "other key", token: forge(t, f, admin, jwt.SigningMethodHS256, []byte("0123456789abcdef0123456789abcdef"), kid, time.Hour), want: 401},
			{name: "disabled user", token: goneTok, want: 401},
			{name: "garbage", token: "not.a.jwt", want: 401},
			{name: "unknown API token", token: TokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", want: 401},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := f.do(t, req{method: "GET", path: "/api/v1/me", bearer: tc.token})
				if r.status != tc.want {
					t.Fatalf("GET /me = %d %s, want %d", r.status, r.body, tc.want)
				}
				if tc.want == 401 && !strings.Contains(r.body, `"code":"unauthorized"`) {
					t.Fatalf("body %s lacks the unauthorized code", r.body)
				}
			})
		}
		t.Run("logout everywhere revokes at once", func(t *testing.T) {
			if r := f.do(t, req{method: "POST", path: "/api/v1/auth/logout-all", bearer: good}); r.status != 204 {
				t.Fatalf("logout-all = %d %s", r.status, r.body)
			}
			if r := f.do(t, req{method: "GET", path: "/api/v1/me", bearer: good}); r.status != 401 {
				t.Fatalf("old token after logout-all = %d, want 401", r.status)
			}
		})
	})
}

func TestKeyRotation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		old := newFixture(t, db)
		u := old.mustUser(t, "rot@example.com", RoleAdmin)
		oldTok := old.scriptToken(t, u.Email)
		rotated := newFixture(t, db, old.ring) // new current key, the old one kept as previous
		if r := rotated.do(t, req{method: "GET", path: "/api/v1/me", bearer: oldTok}); r.status != 200 {
			t.Fatalf("token of the previous key after rotation = %d %s, want 200", r.status, r.body)
		}
		newTok := rotated.scriptToken(t, u.Email)
		if h := unb64(t, strings.Split(newTok, ".")[0]); !strings.Contains(h, `"kid":"`+rotated.ring.KeyID()+`"`) {
			t.Fatalf("new token header %s does not name the new key", h)
		}
		dropped := newFixture(t, db) // the old key dropped
		if r := dropped.do(t, req{method: "GET", path: "/api/v1/me", bearer: oldTok}); r.status != 401 {
			t.Fatalf("token of a dropped key = %d, want 401", r.status)
		}
	})
}

func TestAPITokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.mustUser(t, "admin@example.com", RoleAdmin)
		sup := f.mustUser(t, "sup@example.com", RoleSupport, 7)
		cookie, csrf := f.login(t, sup.Email)
		create := func(body string) resp {
			return f.do(t, req{method: "POST", path: "/api/v1/tokens", body: body, cookie: cookie, csrf: csrf})
		}
		if r := create(`{"name":"ci","role":"admin"}`); r.status != 403 {
			t.Fatalf("support creating an admin token = %d %s, want 403", r.status, r.body)
		}
		if r := create(`{"name":"ci","role":"viewer","tenant_ids":[8]}`); r.status != 422 {
			t.Fatalf("token for a tenant outside the scope = %d %s, want 422", r.status, r.body)
		}
		r := create(`{"name":"ci","role":"viewer","expires_in_days":1}`)
		if r.status != 201 {
			t.Fatalf("create token = %d %s", r.status, r.body)
		}
		var out struct {
			Token    string   `json:"token"`
			APIToken APIToken `json:"api_token"`
		}
		mustDecode(t, r.body, &out)
		if !strings.HasPrefix(out.Token, TokenPrefix) || out.APIToken.Hint == "" || strings.Contains(out.APIToken.Hint, out.Token[8:]) {
			t.Fatalf("token %q, hint %q", out.Token, out.APIToken.Hint)
		}
		me := f.do(t, req{method: "GET", path: "/api/v1/me", bearer: out.Token})
		if me.status != 200 || !strings.Contains(me.body, `"role":"viewer"`) || !strings.Contains(me.body, `"tenant_ids":[7]`) {
			t.Fatalf("GET /me with the token = %d %s, want a viewer limited to tenant 7", me.status, me.body)
		}
		list := f.do(t, req{method: "GET", path: "/api/v1/tokens", cookie: cookie})
		if list.status != 200 || !strings.Contains(list.body, `"last_used_at":"`) || strings.Contains(list.body, out.Token) {
			t.Fatalf("token list = %d %s: want last_used_at set and no token", list.status, list.body)
		}
		if r := f.do(t, req{method: "POST", path: "/api/v1/tokens", bearer: out.Token, body: `{"name":"x","role":"viewer"}`}); r.status != 403 {
			t.Fatalf("token minting a token = %d, want 403", r.status)
		}
		f.now = f.now.Add(25 * time.Hour)
		if r := f.do(t, req{method: "GET", path: "/api/v1/me", bearer: out.Token}); r.status != 401 {
			t.Fatalf("expired API token = %d, want 401", r.status)
		}
		f.now = f.now.Add(-25 * time.Hour)
		path := "/api/v1/tokens/" + itoa(out.APIToken.ID)
		if r := f.do(t, req{method: "DELETE", path: path, cookie: cookie, csrf: csrf}); r.status != 204 {
			t.Fatalf("revoke = %d %s", r.status, r.body)
		}
		if r := f.do(t, req{method: "GET", path: "/api/v1/me", bearer: out.Token}); r.status != 401 {
			t.Fatalf("revoked API token = %d, want 401", r.status)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func unb64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// flip changes the first character of a base64url string.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}
