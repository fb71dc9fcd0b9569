package webhooks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// clientCert makes a self-signed client certificate and its PEM key.
func clientCert(t testing.TB) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "switchboard-test-client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), cert
}

// TestMutualTLS: an endpoint that requires a client certificate accepts
// the one configured on the endpoint and refuses a delivery without it (a
// tls error, retried and finally failed).
func TestMutualTLS(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		certPEM, keyPEM, cert := clientCert(t)
		clientCAs := x509.NewCertPool()
		clientCAs.AddCert(cert)
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "switchboard-test-client" {
				w.WriteHeader(401)
				return
			}
			w.WriteHeader(204)
		}))
		srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		roots := x509.NewCertPool()
		roots.AddCert(srv.Certificate())
		e := startEngine(t, db, engineOpts{roots: roots})

		createTenant(t, db, "org_mtls", srv.URL, func(ep *tenants.Endpoint) {
			ep.ClientCertPEM = string(certPEM)
			ep.ClientKeySealed, _ = e.keyring.Seal(keyPEM, fmt.Sprintf("endpoint:%d:client_key", ep.ID))
		})
		createTenant(t, db, "org_nocert", srv.URL, nil)
		withCert, without := e.ingest(t, "org_mtls", "m-mtls"), e.ingest(t, "org_nocert", "m-nocert")
		waitUntil(t, "both to settle", func() bool {
			return deliveryOf(t, db, withCert).Status != DeliveryPending && deliveryOf(t, db, without).Status != DeliveryPending
		})
		if d := deliveryOf(t, db, withCert); d.Status != DeliveryDelivered {
			t.Errorf("with the client certificate: %s (%s), want delivered", d.Status, d.LastError)
		}
		d := deliveryOf(t, db, without)
		if atts := attemptsOf(t, db, d.ID); d.Status != DeliveryFailed || len(atts) == 0 || atts[0].ErrorClass != "tls" {
			t.Errorf("without a certificate: %s, attempts %+v, want failed with error class tls", d.Status, atts)
		}
	})
}
