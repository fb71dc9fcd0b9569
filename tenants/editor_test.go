package tenants

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

func TestEndpointSecrets(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		ring := testRing(t)
		tn := mustCreateTenant(t, ed, "Acme", "org_acme", StatusActive)
		cert, key := selfSigned(t)
		v, err := ed.AddEndpoint(ctx, tn.ID, EndpointInput{
			URL: ptr("https://ats.example/hook"), Description: ptr("ATS"), Subscriptions: &[]string{"interview.scores", "*"},
			AuthType: ptr(AuthBasic), AuthSecret: ptr("user:hunter2-password"), Headers: &map[string]string{"x-tenant-code": "A1"},
			TimeoutMS: ptr(5000), MaxAttempts: ptr(3), MaxAgeSeconds: ptr(3600), RetryClientErrors: ptr(true), SkipRevisions: ptr(true),
			MaxConcurrency: ptr(4), RateLimitPerSecond: ptr(2.5), Ordered: ptr(true), ClientCertPEM: &cert, ClientKeyPEM: &key,
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(v.NewSigningSecret, "whsec_") || !v.SigningSecret.Set || !v.AuthSecret.Set || !v.ClientKey.Set || v.AuthSecret.SetAt == nil {
			t.Fatalf("view after add = %+v", v)
		}
		e, err := ed.FindEndpoint(ctx, tn.ID, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Headers["X-Tenant-Code"] != "A1" || e.TimeoutMS != 5000 || e.MaxAttempts != 3 || e.MaxAgeSeconds != 3600 || !e.RetryClientErrors ||
			!e.SkipRevisions || e.MaxConcurrency != 4 || e.RateLimitPerSecond != 2.5 || !e.Ordered || e.ClientCertPEM != strings.TrimSpace(cert) {
			t.Fatalf("stored endpoint = %+v", e)
		}
		wantOpen := map[string]string{"auth": "user:hunter2-password", "signing": v.NewSigningSecret, "client_key": key}
		for ctxName, sealed := range map[string]string{"auth": e.AuthSecretSealed, "signing": e.SigningSecretSealed, "client_key": e.ClientKeySealed} {
			got, err := ring.Open(sealed, EndpointSecretContext(e.ID, ctxName))
			if err != nil || string(got) != wantOpen[ctxName] {
				t.Errorf("open %s = %q, %v", ctxName, got, err)
			}
			if strings.Contains(sealed, wantOpen[ctxName]) {
				t.Errorf("%s is stored in plaintext", ctxName)
			}
		}
		shown, _ := json.Marshal(e.View())
		for _, secret := range []string{"hunter2", v.NewSigningSecret, "PRIVATE KEY", e.AuthSecretSealed} {
			if strings.Contains(string(shown), secret) {
				t.Fatalf("view shows a secret %q: %s", secret, shown)
			}
		}

		rot, err := ed.RotateSigningSecret(ctx, tn.ID, e.ID, time.Hour)
		if err != nil || rot.NewSigningSecret == v.NewSigningSecret || rot.PreviousSigning == nil || rot.PreviousSigning.ExpiresAt == nil {
			t.Fatalf("rotate = %+v, %v", rot, err)
		}
		e2, _ := ed.FindEndpoint(ctx, tn.ID, e.ID)
		prev, err := ring.Open(e2.PreviousSigningSecretSealed, EndpointSecretContext(e.ID, "signing_prev"))
		if err != nil || string(prev) != v.NewSigningSecret {
			t.Fatalf("previous secret = %q, %v; want the one before rotation", prev, err)
		}
		if d := time.Until(*e2.PreviousSigningExpiresAt); d < 50*time.Minute || d > 61*time.Minute {
			t.Fatalf("previous expires in %v, want about 1h", d)
		}

		// Switching to no auth clears the secret; other fields stay.
		upd, err := ed.UpdateEndpoint(ctx, tn.ID, e.ID, EndpointInput{AuthType: ptr(AuthNone), Enabled: ptr(false)})
		if err != nil || upd.AuthSecret.Set || upd.Enabled || upd.MaxAttempts != 3 {
			t.Fatalf("update = %+v, %v", upd, err)
		}
		if err := ed.RemoveEndpoint(ctx, tn.ID+100, e.ID); !isNotFound(err) {
			t.Fatalf("remove through another tenant: err = %v, want not found", err)
		}
		if err := ed.RemoveEndpoint(ctx, tn.ID, e.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := ed.FindEndpoint(ctx, tn.ID, e.ID); !isNotFound(err) {
			t.Fatalf("removed endpoint: err = %v", err)
		}
	})
}

func TestTenantSecrets(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		tn := mustCreateTenant(t, ed, "Acme", "org_s", StatusActive)
		if _, err := ed.Store.UpdateTenant(ctx, tn.ID, TenantUpdate{InboundSecret: ptr("x")}); !isInvalid(err) {
			t.Fatalf("secret through the keyless store: err = %v, want invalid", err)
		}
		got, err := ed.UpdateTenant(ctx, tn.ID, TenantUpdate{InboundSecret: ptr("inbound-1"), BoooplyAPIKey: ptr("api-key-1")})
		if err != nil {
			t.Fatal(err)
		}
		for what, want := range map[string]string{"inbound": "inbound-1", "boooply": "api-key-1"} {
			sealed := got.InboundSecretSealed
			if what == "boooply" {
				sealed = got.BoooplyAPIKeySealed
			}
			plain, err := testRing(t).Open(sealed, fmt.Sprintf("tenant:%d:%s", tn.ID, what))
			if err != nil || string(plain) != want {
				t.Errorf("%s secret opens to %q, %v", what, plain, err)
			}
		}
		got, err = ed.UpdateTenant(ctx, tn.ID, TenantUpdate{InboundSecret: ptr("")})
		if err != nil || got.InboundSecretSealed != "" || got.BoooplyAPIKeySealed == "" {
			t.Fatalf("clearing the inbound secret: %+v, %v", got, err)
		}
	})
}

func TestEndpointValidation(t *testing.T) {
	cert, key := selfSigned(t)
	_, otherKey := selfSigned(t)
	cases := []struct {
		name      string
		in        EndpointInput
		wantField string
	}{
		{name: "minimal", in: EndpointInput{URL: ptr("https://a.example/")}},
		{name: "no url", in: EndpointInput{}, wantField: "url"},
		{name: "method PUT", in: EndpointInput{URL: ptr("https://a/"), Method: ptr("put")}},
		{name: "method PATCH", in: EndpointInput{URL: ptr("https://a/"), Method: ptr("PATCH")}},
		{name: "probe url", in: EndpointInput{URL: ptr("https://a/"), ProbeURL: ptr("https://a/health")}},
		{name: "probe url with a placeholder", in: EndpointInput{URL: ptr("https://a/"), ProbeURL: ptr("https://a/{{data.x}}")}, wantField: "probe_url"},
		{name: "method GET refused", in: EndpointInput{URL: ptr("https://a/"), Method: ptr("GET")}, wantField: "method"},
		{name: "method DELETE refused", in: EndpointInput{URL: ptr("https://a/"), Method: ptr("DELETE")}, wantField: "method"},
		{name: "bearer without token", in: EndpointInput{URL: ptr("https://a/"), AuthType: ptr(AuthBearer)}, wantField: "auth_secret"},
		{name: "basic without colon", in: EndpointInput{URL: ptr("https://a/"), AuthType: ptr(AuthBasic), AuthSecret: ptr("user")}, wantField: "auth_secret"},
		{name: "bad auth type", in: EndpointInput{URL: ptr("https://a/"), AuthType: ptr(AuthType("oauth"))}, wantField: "auth_type"},
		{name: "header auth needs a name", in: EndpointInput{URL: ptr("https://a/"), AuthType: ptr(AuthHeader), AuthSecret: ptr("k")}, wantField: "auth_header_name"},
		{name: "header auth ok", in: EndpointInput{URL: ptr("https://a/"), AuthType: ptr(AuthHeader), AuthHeaderName: ptr("X-Api-Key"), AuthSecret: ptr("k")}},
		{name: "hop-by-hop header", in: EndpointInput{URL: ptr("https://a/"), Headers: &map[string]string{"Connection": "close"}}, wantField: "headers"},
		{name: "authorization header", in: EndpointInput{URL: ptr("https://a/"), Headers: &map[string]string{"authorization": "Bearer x"}}, wantField: "headers"},
		{name: "token-ish header", in: EndpointInput{URL: ptr("https://a/"), Headers: &map[string]string{"X-Auth-Token": "x"}}, wantField: "headers"},
		{name: "password header", in: EndpointInput{URL: ptr("https://a/"), Headers: &map[string]string{"X-Password": "x"}}, wantField: "headers"},
		{name: "access key header", in: EndpointInput{URL: ptr("https://a/"), Headers: &map[string]string{"X-Access-Key": "x"}}, wantField: "headers"},
		{name: "credential header", in: EndpointInput{URL: ptr("https://a/"), Headers: &map[string]string{"X-Credential": "x"}}, wantField: "headers"},
		{name: "cookie-ish header", in: EndpointInput{URL: ptr("https://a/"), Headers: &map[string]string{"X-Cookie": "x"}}, wantField: "headers"},
		{name: "webhook- header", in: EndpointInput{URL: ptr("https://a/"), Headers: &map[string]string{"Webhook-Id": "x"}}, wantField: "headers"},
		{name: "header value with newline", in: EndpointInput{URL: ptr("https://a/"), Headers: &map[string]string{"X-A": "a\r\nB: c"}}, wantField: "headers"},
		{name: "timeout too small", in: EndpointInput{URL: ptr("https://a/"), TimeoutMS: ptr(5)}, wantField: "timeout_ms"},
		{name: "timeout over the 60 s a delivery may take", in: EndpointInput{URL: ptr("https://a/"), TimeoutMS: ptr(90_000)}, wantField: "timeout_ms"},
		{name: "timeout of 60 s", in: EndpointInput{URL: ptr("https://a/"), TimeoutMS: ptr(60_000)}},
		{name: "negative attempts", in: EndpointInput{URL: ptr("https://a/"), MaxAttempts: ptr(-1)}, wantField: "max_attempts"},
		{name: "rate NaN-ish", in: EndpointInput{URL: ptr("https://a/"), RateLimitPerSecond: ptr(-1.0)}, wantField: "rate_limit_per_second"},
		{name: "rate below one per hour", in: EndpointInput{URL: ptr("https://a/"), RateLimitPerSecond: ptr(1e-300)}, wantField: "rate_limit_per_second"},
		{name: "rate just below one per hour", in: EndpointInput{URL: ptr("https://a/"), RateLimitPerSecond: ptr(0.00027)}, wantField: "rate_limit_per_second"},
		{name: "rate one per hour", in: EndpointInput{URL: ptr("https://a/"), RateLimitPerSecond: ptr(1.0 / 3600)}},
		{name: "rate as written in the error", in: EndpointInput{URL: ptr("https://a/"), RateLimitPerSecond: ptr(0.000278)}},
		{name: "rate zero is unlimited", in: EndpointInput{URL: ptr("https://a/"), RateLimitPerSecond: ptr(0.0)}},
		{name: "rate above 10000", in: EndpointInput{URL: ptr("https://a/"), RateLimitPerSecond: ptr(10_001.0)}, wantField: "rate_limit_per_second"},
		{name: "one header in two cases", in: EndpointInput{URL: ptr("https://a/"), Headers: &map[string]string{"x-a": "1", "X-A": "2"}}, wantField: "headers"},
		{name: "two headers", in: EndpointInput{URL: ptr("https://a/"), Headers: &map[string]string{"x-a": "1", "X-B": "2"}}},
		{name: "cert not PEM", in: EndpointInput{URL: ptr("https://a/"), ClientCertPEM: ptr("hello")}, wantField: "client_cert_pem"},
		{name: "key without cert", in: EndpointInput{URL: ptr("https://a/"), ClientKeyPEM: &key}, wantField: "client_key_pem"},
		{name: "key of another cert", in: EndpointInput{URL: ptr("https://a/"), ClientCertPEM: &cert, ClientKeyPEM: &otherKey}, wantField: "client_key_pem"},
		{name: "cert and key", in: EndpointInput{URL: ptr("https://a/"), ClientCertPEM: &cert, ClientKeyPEM: &key}},
	}
	ed := NewEditor(nil, testRing(t), allowAll{}, testEventTypes)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ed.prepare(context.Background(), nil, &Endpoint{Enabled: true}, tc.in)
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if !isInvalid(err) {
				t.Fatalf("err = %v, want invalid %s", err, tc.wantField)
			}
			p, _ := problemOf(err)
			if p != tc.wantField {
				t.Fatalf("field = %s, want %s", p, tc.wantField)
			}
		})
	}
	ed = NewEditor(nil, testRing(t), refuseAll{}, testEventTypes)
	if err := ed.prepare(context.Background(), nil, &Endpoint{}, EndpointInput{URL: ptr("http://127.0.0.1/")}); !isInvalid(err) {
		t.Fatalf("loopback url: err = %v, want invalid", err)
	}
}

func problemOf(err error) (string, bool) {
	var field string
	if p, ok := asProblem(err); ok && len(p) > 0 {
		field = p
	}
	return field, field != ""
}

// selfSigned returns a fresh certificate and its private key, PEM-encoded.
func selfSigned(t testing.TB) (certPEM, keyPEM string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "switchboard-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

// TestParseHeaderLines: the endpoint form's header box takes "Name: value"
// lines; a name given twice is refused rather than keeping the last value.
func TestParseHeaderLines(t *testing.T) {
	got, err := parseHeaders("X-Customer: 42\n\n  X-Region:eu  \n")
	if err != nil || len(got) != 2 || got["X-Customer"] != "42" || got["X-Region"] != "eu" {
		t.Fatalf("parseHeaders = %v, %v", got, err)
	}
	for text, want := range map[string]string{
		"X-A: 1\nX-A: 2": "line 2: X-A is already set above",
		"no colon":       "line 1: write Name: value",
		": value":        "line 1: write Name: value",
	} {
		if _, err := parseHeaders(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseHeaders(%q) = %v, want %q", text, err, want)
		}
	}
}
