package auth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// browserResolve reads a Location header the way a browser does (WHATWG URL
// parsing drops every tab and newline, and reads "\" as "/" in http URLs)
// against the page the sign-in form was on, and returns the host it leads to.
func browserResolve(t *testing.T, location string) string {
	t.Helper()
	cleaned := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		if r == '\\' {
			return '/'
		}
		return r
	}, strings.Trim(location, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
	base, _ := url.Parse("https://switchboard.example/login")
	ref, err := url.Parse(cleaned)
	if err != nil {
		t.Fatalf("Location %q does not parse once cleaned (%q): %v", location, cleaned, err)
	}
	return base.ResolveReference(ref).Host
}

// TestSignInNextStaysLocal signs in through the real sign-in form with a
// hostile next= and checks the redirect stays on Switchboard as a browser
// would follow it: browsers drop tabs and newlines inside URLs, so
// "/\t/evil.example" is "//evil.example" to them.
func TestSignInNextStaysLocal(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.app.Post(LoginPath, f.svc.handleSignInPost)
		u := f.mustUser(t, "a@example.com", RoleAdmin)
		for _, next := range []string{"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\t\\evil.example",
			"\t//evil.example", "//evil.example", `/\evil.example`, "https://evil.example/admin"} {
			t.Run(url.QueryEscape(next), func(t *testing.T) {
				f.svc.limit.reset("acct:" + u.Email)
				form := url.Values{"email": {u.Email}, "password": {testPassword}, "next": {next}}.Encode()
				r := f.do(t, req{method: "POST", path: LoginPath, contentType: "application/x-www-form-urlencoded", body: form})
				loc := r.header.Get("Location")
				if r.status != 303 {
					t.Fatalf("sign-in = %d %s, want 303", r.status, r.body)
				}
				if host := browserResolve(t, loc); host != "switchboard.example" {
					t.Fatalf("next=%q redirects to %q, which a browser follows to host %q, want switchboard.example", next, loc, host)
				}
			})
		}
	})
}
