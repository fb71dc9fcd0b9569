package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestSignInRefusesForeignOrigins: login CSRF from a sibling subdomain.
// A sign-in form post that a page other than Switchboard's own made the
// browser send is refused with 403 and no session: Sec-Fetch-Site
// same-site (evil.example.com next to switchboard.example.com) or
// cross-site, and an Origin that is not this site's (another host or
// port, "null", or the public URL's host without SWITCHBOARD_PUBLIC_URL).
// Our own page passes (Origin = the host the request was sent to, or the
// public URL behind a proxy that rewrites Host, or a trusted proxy's
// X-Forwarded-Host), and so do clients that send neither header. Real
// servers on loopback, both dialects; /setup's form is checked the same way.
func TestSignInRefusesForeignOrigins(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", uiPassword)
			admin := []string{"--admin-email", "admin@example.com"}
			plain, _ := startServer(t, target.URL, admin...)
			public, _ := startServer(t, target.URL, append(admin, "--public-url", "https://switchboard.example.com")...)
			proxied, _ := startServer(t, target.URL, append(admin, "--trusted-proxies", "127.0.0.1")...)
			otherPort := "http://127.0.0.1:1"
			cases := []struct {
				name, base string
				header     map[string]string
				want       int
			}{
				{"no browser headers (curl)", plain, nil, http.StatusSeeOther},
				{"own page", plain, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": plain}, http.StatusSeeOther},
				{"typed by the user", plain, map[string]string{"Sec-Fetch-Site": "none"}, http.StatusSeeOther},
				{"own page, older browser without Sec-Fetch-Site", plain, map[string]string{"Origin": plain}, http.StatusSeeOther},
				{"sibling subdomain", plain, map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://evil.example.com"}, http.StatusForbidden},
				{"same-site even with our Origin", plain, map[string]string{"Sec-Fetch-Site": "same-site", "Origin": plain}, http.StatusForbidden},
				{"cross-site", plain, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.test"}, http.StatusForbidden},
				{"foreign Origin, older browser", plain, map[string]string{"Origin": "https://evil.example.com"}, http.StatusForbidden},
				{"same host, other port", plain, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": otherPort}, http.StatusForbidden},
				{"opaque origin", plain, map[string]string{"Origin": "null"}, http.StatusForbidden},
				{"X-Forwarded-Host from an untrusted client", plain, map[string]string{"Origin": "https://evil.example.com", "X-Forwarded-Host": "evil.example.com"}, http.StatusForbidden},
				{"public URL's host without the setting", plain, map[string]string{"Origin": "https://switchboard.example.com"}, http.StatusForbidden},
				{"public URL behind a proxy that rewrites Host", public, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "https://switchboard.example.com"}, http.StatusSeeOther},
				{"public URL server, direct", public, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": public}, http.StatusSeeOther},
				{"public URL server, sibling", public, map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://evil.example.com"}, http.StatusForbidden},
				{"public URL server, sibling without Sec-Fetch-Site", public, map[string]string{"Origin": "https://evil.example.com"}, http.StatusForbidden},
				{"public URL server, other scheme", public, map[string]string{"Origin": "http://switchboard.example.com"}, http.StatusForbidden},
				{"trusted proxy names the host", proxied, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "https://switchboard.example.com",
					"X-Forwarded-Host": "switchboard.example.com", "X-Forwarded-Proto": "https"}, http.StatusSeeOther},
				{"trusted proxy, sibling", proxied, map[string]string{"Origin": "https://evil.example.com", "X-Forwarded-Host": "switchboard.example.com"}, http.StatusForbidden},
			}
			for _, tc := range cases {
				st, body, hdr := postSignIn(t, tc.base, "/login", tc.header)
				cookie := strings.Contains(strings.Join(hdr.Values("Set-Cookie"), "\n"), "sb_session=ey")
				if st != tc.want || cookie != (tc.want == http.StatusSeeOther) {
					t.Errorf("%s: POST /login = %d (session cookie %t), want %d: %.300s", tc.name, st, cookie, tc.want, body)
				}
				if tc.want == http.StatusForbidden && (!strings.Contains(body, "was not sent from Switchboard") || !strings.Contains(hdr.Get("Content-Type"), "text/html")) {
					t.Errorf("%s: the refusal is not the HTML page saying why: %s %.300s", tc.name, hdr.Get("Content-Type"), body)
				}
			}
			// The setup form: refused before its (bad) token is even read.
			if st, body, _ := postSignIn(t, plain, "/setup?token=sbs_x", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://evil.example.com"}); st != http.StatusForbidden {
				t.Errorf("setup form from a sibling = %d, want 403: %.300s", st, body)
			}
			if st, body, _ := postSignIn(t, plain, "/setup?token=sbs_x", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": plain}); st == http.StatusForbidden {
				t.Errorf("setup form from our page = %d, want the token's answer: %.300s", st, body)
			}
		})
	}
}

// postSignIn posts the sign-in form (admin@example.com) as a browser
// would, with the extra headers, and returns status, body and headers.
func postSignIn(t *testing.T, base, path string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	form := url.Values{"email": {"admin@example.com"}, "password": {uiPassword}, "next": {"/admin"}, "name": {"x"}}
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}
