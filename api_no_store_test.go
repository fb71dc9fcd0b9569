package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
)

// Answers that carry a secret shown once (a new endpoint's signing secret,
// an API token) and every other /api/v1 answer are never cached.
func TestAPIAnswersAreNotCached(t *testing.T) {
	a := newTestAPI(t)
	pw := "a long enough password"
	if _, err := a.gate.CreateUser(context.Background(), &auth.User{Email: "admin@example.com", Role: auth.RoleAdmin}, pw); err != nil {
		t.Fatal(err)
	}
	token := loginRequest(t, a.app, "/api/v1/auth/token", "admin@example.com", pw)
	token.Body.Close()
	if cc := token.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("token answer: Cache-Control %q, want no-store", cc)
	}
	bearer := bearerFor(t, a.app, "admin@example.com", pw)
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/api/v1/tenants", `{"name":"Acme","source_id":"org_nostore","endpoints":[{"url":"http://127.0.0.1:9/hook"}]}`, 201},
		{"GET", "/api/v1/tenants", "", 200},
		{"GET", "/api/v1/tenants/999999", "", 404},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+bearer)
		res, err := a.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s %s (%d): Cache-Control %q, want no-store", tc.method, tc.path, res.StatusCode, cc)
		}
	}
}
