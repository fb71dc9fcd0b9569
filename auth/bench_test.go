package auth

import (
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// BenchmarkHashPassword is the cost of one sign-in attempt (argon2id).
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword(testPassword); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGate is one authenticated GET /api/v1/me through the gate on
// SQLite, per credential kind (JWT verify + user lookup, or token hash
// lookup + user lookup).
func BenchmarkGate(b *testing.B) {
	f := newFixture(b, testdb.Open(b, testdb.Targets(b)[0].URL))
	u := f.mustUser(b, "bench@example.com", RoleAdmin)
	jwtTok := f.scriptToken(b, u.Email)
	cookie, _ := f.login(b, u.Email)
	r := f.do(b, req{method: "POST", path: "/api/v1/tokens", bearer: jwtTok, body: `{"name":"b","role":"viewer"}`})
	var out struct{ Token string }
	mustDecode(b, r.body, &out)
	for name, rq := range map[string]req{
		"bearer JWT": {method: "GET", path: "/api/v1/me", bearer: jwtTok},
		"API token":  {method: "GET", path: "/api/v1/me", bearer: out.Token},
		"cookie":     {method: "GET", path: "/api/v1/me", cookie: cookie},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if got := f.do(b, rq); got.status != 200 {
					b.Fatalf("status %d", got.status)
				}
			}
		})
	}
}
