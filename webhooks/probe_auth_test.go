package webhooks

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestProbeAuthSameOriginOnly: a receiver whose health route wants the
// delivery's credentials gets them from the probe when the probe URL has
// the origin of the endpoint's URL (bearer, basic, header, OAuth2 token,
// mTLS client certificate), and the endpoint comes back; a probe URL on
// another origin than the endpoint's gets no credential (no token is even
// fetched), so the endpoint stays disabled. The probe used to send none.
func TestProbeAuthSameOriginOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("user:pw"))
		accepted := map[string]bool{"Bearer bearer-tok": true, basic: true, "Bearer tok-1": true}
		rx := newHook(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			if accepted[r.Header.Get("Authorization")] || r.Header.Get("X-Api-Key") == "header-tok" {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			w.WriteHeader(http.StatusUnauthorized)
		})
		other := newHook(t, nil) // the endpoint URL of the cross-origin cases
		tokens := newTokenServer(t, nil)
		certPEM, keyPEM, cert := clientCert(t)
		clientCAs := x509.NewCertPool()
		clientCAs.AddCert(cert)
		mtls := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		mtls.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
		mtls.StartTLS()
		t.Cleanup(mtls.Close)
		roots := x509.NewCertPool()
		roots.AddCert(mtls.Certificate())
		e := startEngine(t, db, engineOpts{roots: roots, register: addProbeWorker(db)})

		secret := func(typ tenants.AuthType, plain string) func(*tenants.Endpoint) {
			return func(ep *tenants.Endpoint) {
				ep.AuthType, ep.AuthHeaderName = typ, "X-Api-Key"
				ep.AuthSecretSealed, _ = e.keyring.Seal([]byte(plain), fmt.Sprintf("endpoint:%d:auth", ep.ID))
			}
		}
		withCert := func(ep *tenants.Endpoint) {
			ep.ClientCertPEM = string(certPEM)
			ep.ClientKeySealed, _ = e.keyring.Seal(keyPEM, fmt.Sprintf("endpoint:%d:client_key", ep.ID))
		}
		cases := []struct {
			name, url, probe string
			edit             func(*tenants.Endpoint)
			wantEnabled      bool
		}{
			{"bearer, same origin", rx.URL + "/hook", rx.URL + "/health", secret(tenants.AuthBearer, "bearer-tok"), true},
			{"basic, same origin", rx.URL + "/hook", rx.URL + "/health", secret(tenants.AuthBasic, "user:pw"), true},
			{"header, same origin", rx.URL + "/hook", rx.URL + "/health", secret(tenants.AuthHeader, "header-tok"), true},
			{"oauth2, same origin", rx.URL + "/hook", rx.URL + "/health", oauth2Auth(e, tokens.URL, 1), true},
			{"mtls, same origin", mtls.URL + "/hook", mtls.URL + "/health", withCert, true},
			{"bearer, other origin", other.URL + "/hook", rx.URL + "/health", secret(tenants.AuthBearer, "bearer-tok"), false},
			{"header, other origin", other.URL + "/hook", rx.URL + "/health", secret(tenants.AuthHeader, "header-tok"), false},
			{"oauth2, other origin", other.URL + "/hook", rx.URL + "/health", oauth2Auth(e, tokens.URL, 1), false},
			{"mtls, other origin", other.URL + "/hook", mtls.URL + "/health", withCert, false},
		}
		ids := make([]int64, len(cases))
		for i, tc := range cases {
			_, ep := createTenant(t, db, fmt.Sprintf("org_probe_auth_%d", i), tc.url, func(ep *tenants.Endpoint) {
				tc.edit(ep)
				ep.ProbeURL = tc.probe
			})
			if err := disableEndpoint(db.Gorm, ep.ID, "failing since 5 days", time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			ids[i] = ep.ID
		}

		e.runProbe(t)
		for i, tc := range cases {
			if h := healthOf(t, db, ids[i]); h.Enabled != tc.wantEnabled {
				t.Errorf("%s: enabled after the probe = %v, want %v", tc.name, h.Enabled, tc.wantEnabled)
			}
		}
		bare := 0
		for _, r := range rx.got() {
			if r.header.Get("Authorization") == "" && r.header.Get("X-Api-Key") == "" {
				bare++
			}
		}
		if bare != 3 {
			t.Errorf("probes of rx without a credential = %d, want 3 (one per other-origin endpoint probed there)", bare)
		}
		if n := len(tokens.requests()); n != 1 {
			t.Errorf("token requests = %d, want 1 (only for the same-origin oauth2 endpoint)", n)
		}
	})
}

// TestProbeGuardedAtDial: a probe that carries the endpoint's credentials
// (and, with a client certificate, dials through the endpoint's own
// client) still goes through the SSRF guard: a loopback probe URL is
// refused at dial and nothing reaches the receiver.
func TestProbeGuardedAtDial(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		rx := newHook(t, nil)
		e := startEngine(t, db, engineOpts{guard: &egress.Guard{}, register: addProbeWorker(db)})
		certPEM, keyPEM, _ := clientCert(t)
		var ids []int64
		for i, withCert := range []bool{false, true} {
			_, ep := createTenant(t, db, fmt.Sprintf("org_probe_guard_%d", i), rx.URL+"/hook", func(ep *tenants.Endpoint) {
				ep.ProbeURL, ep.AuthType = rx.URL+"/health", tenants.AuthBearer
				ep.AuthSecretSealed, _ = e.keyring.Seal([]byte("bearer-tok"), fmt.Sprintf("endpoint:%d:auth", ep.ID))
				if withCert {
					ep.ClientCertPEM = string(certPEM)
					ep.ClientKeySealed, _ = e.keyring.Seal(keyPEM, fmt.Sprintf("endpoint:%d:client_key", ep.ID))
				}
			})
			if err := disableEndpoint(db.Gorm, ep.ID, "failing since 5 days", time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ep.ID)
		}
		e.runProbe(t)
		for _, id := range ids {
			if h := healthOf(t, db, id); h.Enabled {
				t.Errorf("endpoint %d was enabled by a probe of a loopback URL, want it refused at dial", id)
			}
		}
		if n := len(rx.got()); n != 0 {
			t.Fatalf("the loopback receiver got %d requests, want none", n)
		}
	})
}

// TestSameOrigin: scheme, host and port, a port left out being the scheme's.
func TestSameOrigin(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"https://rx.example.com/hook", "https://rx.example.com/health", true},
		{"https://rx.example.com/hook", "https://RX.example.com:443/health?x=1", true},
		{"http://rx.example.com/hook", "http://rx.example.com:80/", true},
		{"https://rx.example.com/hook", "http://rx.example.com/health", false},
		{"https://rx.example.com/hook", "https://rx.example.com:8443/health", false},
		{"https://rx.example.com/hook", "https://health.example.com/", false},
		{"https://rx.example.com/hook", "https://rx.example.com.evil.test/", false},
		{"http://127.0.0.1:8080/hook", "http://127.0.0.1:8081/health", false},
		{"https://[::1]:8443/hook", "https://[::1]:8443/health", true},
		{"https://rx.example.com/{{correlation.id}}", "https://rx.example.com/health", true},
		// Unicode case folding is not how hosts compare: σ and ς fold
		// together but are two domains (xn--4xa, xn--3xa) to the dialler.
		{"https://σ.example/hook", "https://ς.example/health", false},
		{"https://k.example/hook", "https://K.example/health", false}, // Kelvin sign: fails closed
		{"https://σ.example/hook", "https://σ.example/health", true},
		{"not a url", "https://rx.example.com/", false},
		{"", "", false},
	}
	for _, tc := range cases {
		if got := sameOrigin(tc.a, tc.b); got != tc.want {
			t.Errorf("sameOrigin(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestProbeStaticHeadersSameOriginOnly: a receiver whose health route wants
// a static header (--header X-Tenant-Ref=…, where some put an API key)
// gets it from a probe of the endpoint's own origin, without the static
// headers that describe a body (a GET probe has none), and the endpoint
// comes back; a probe URL on another origin gets no static header and
// stays disabled. A value no request can carry fails the probe with the
// header's name only. No static header's value is ever logged. Probes used
// to send no static header.
func TestProbeStaticHeadersSameOriginOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		const ref = "ref-7f3a9c"
		rx := newHook(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Tenant-Ref") == ref {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			w.WriteHeader(http.StatusUnauthorized)
		})
		other := newHook(t, nil)
		logs := &syncBuffer{}
		e := startEngine(t, db, engineOpts{register: func(ws *river.Workers, p RetryPolicy, w *Worker) {
			river.AddWorker(ws, NewProbeWorker(db.Gorm, w, p, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		}})
		headers := map[string]string{"X-Tenant-Ref": ref, "Content-Encoding": "gzip", "Content-Language": "de"}
		cases := []struct {
			name, url   string
			headers     map[string]string
			wantEnabled bool
		}{
			{"same origin", rx.URL + "/hook", headers, true},
			{"other origin", other.URL + "/hook", headers, false},
			{"unsendable value", rx.URL + "/hook", map[string]string{"X-Tenant-Ref": "ref-\x01-unsendable-tail"}, false},
		}
		ids := make([]int64, len(cases))
		for i, tc := range cases {
			_, ep := createTenant(t, db, fmt.Sprintf("org_probe_static_%d", i), tc.url, func(ep *tenants.Endpoint) {
				ep.ProbeURL, ep.Headers = rx.URL+"/health", tc.headers
			})
			if err := disableEndpoint(db.Gorm, ep.ID, "failing since 5 days", time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			ids[i] = ep.ID
		}

		e.runProbe(t)
		for i, tc := range cases {
			if h := healthOf(t, db, ids[i]); h.Enabled != tc.wantEnabled {
				t.Errorf("%s: enabled after the probe = %v, want %v", tc.name, h.Enabled, tc.wantEnabled)
			}
		}
		got := rx.got()
		if len(got) != 2 {
			t.Fatalf("probes received = %d, want 2 (the unsendable one never leaves)", len(got))
		}
		var with, bare int
		for _, r := range got {
			if r.header.Get("Content-Encoding") != "" || r.header.Get("Content-Language") != "" {
				t.Errorf("a probe carried a body's header: %v", r.header)
			}
			switch r.header.Get("X-Tenant-Ref") {
			case ref:
				with++
			case "":
				bare++
			}
		}
		if with != 1 || bare != 1 {
			t.Errorf("probes with the static header = %d, without = %d; want 1 (same origin) and 1 (other origin)", with, bare)
		}
		out := logs.String()
		if !strings.Contains(out, "X-Tenant-Ref") {
			t.Errorf("the unsendable probe's log does not name the header:\n%s", out)
		}
		for _, secret := range []string{ref, "unsendable-tail"} {
			if strings.Contains(out, secret) {
				t.Errorf("a static header's value %q is in the logs:\n%s", secret, out)
			}
		}
	})
}
