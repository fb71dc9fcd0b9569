package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/webhooks"
)

// TestCreateError: each refusal of the target's API says what to change.
func TestCreateError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"no token", 401, `{"code":"unauthorized","message":"invalid or revoked API token","details":[]}`, "--api-token"},
		{"not an admin", 403, `{"code":"forbidden","message":"forbidden","details":[]}`, "must be an admin's"},
		{"loopback refused", 422, `{"code":"invalid","message":"endpoints[0].url: address 127.0.0.1 (loopback) is not allowed",
			"details":[{"field":"endpoints[0].url","reason":"address 127.0.0.1 (loopback) is not allowed"}]}`,
			"SWITCHBOARD_ALLOW_PRIVATE_ENDPOINTS=true"},
		{"other invalid", 422, `{"code":"invalid","message":"source_id: taken","details":[{"field":"source_id","reason":"taken"}]}`, "create tenant 3: 422 source_id: taken"},
		{"not JSON", 502, `bad gateway`, "create tenant 3: 502 bad gateway"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := createError("create tenant 3", tc.status, []byte(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if private := errors.Is(err, ErrPrivateEndpoints); private != (tc.name == "loopback refused") {
				t.Errorf("errors.Is(err, ErrPrivateEndpoints) = %v", private)
			}
		})
	}
}

// apiStandIn answers POST /api/v1/tenants and /api/v1/tenants/import as
// the target does (201, each tenant with one endpoint and its new signing
// secret), or as an older server without the import route (405) when
// noImport is set, counting requests in flight. The real API is tested end
// to end in package main (TestLoadtestSpawn).
type apiStandIn struct {
	inFlight, peak, creates, imports atomic.Int64
	status                           int
	noImport                         bool
	mu                               sync.Mutex
	auth                             []string
	sources                          map[string]int // sourceId → times created
	largest                          int            // most tenants in one import
}

const standInSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func (a *apiStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := a.inFlight.Add(1)
	defer a.inFlight.Add(-1)
	for p := a.peak.Load(); n > p && !a.peak.CompareAndSwap(p, n); p = a.peak.Load() {
	}
	imp := r.URL.Path == "/api/v1/tenants/import"
	if imp && a.noImport {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	a.mu.Lock()
	a.auth = append(a.auth, r.Header.Get("Authorization"))
	a.mu.Unlock()
	time.Sleep(2 * time.Millisecond) // long enough for the workers to overlap
	if a.status != 0 {
		w.WriteHeader(a.status)
		return
	}
	var items []tenantCreateBody
	if imp {
		a.imports.Add(1)
		var in struct{ Tenants []tenantCreateBody }
		_ = json.NewDecoder(r.Body).Decode(&in)
		items = in.Tenants
	} else {
		a.creates.Add(1)
		var in tenantCreateBody
		_ = json.NewDecoder(r.Body).Decode(&in)
		items = []tenantCreateBody{in}
	}
	out := make([]map[string]any, len(items))
	a.mu.Lock()
	a.largest = max(a.largest, len(items))
	for i, in := range items {
		if a.sources == nil {
			a.sources = map[string]int{}
		}
		a.sources[in.SourceID]++
		out[i] = map[string]any{"id": 1, "source_id": in.SourceID,
			"endpoints": []map[string]string{{"url": in.Endpoints[0].URL, "new_signing_secret": standInSecret}}}
	}
	a.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	if imp {
		_ = json.NewEncoder(w).Encode(map[string]any{"tenants": out})
		return
	}
	_ = json.NewEncoder(w).Encode(out[0])
}

// checkCreated: every tenant of run was created once, each key is the endpoint's, with the token.
func (a *apiStandIn) checkCreated(t *testing.T, run string, n int, keys [][]byte) {
	t.Helper()
	want, _ := webhooks.DecodeSigningSecret(standInSecret)
	for i, k := range keys {
		if !bytes.Equal(k, want) {
			t.Fatalf("key %d = %x, want the endpoint's signing key", i, k)
		}
	}
	for i := range n {
		if got := a.sources[SourceID(run, i)]; got != 1 {
			t.Fatalf("tenant %d created %d times, want once", i, got)
		}
	}
	for _, h := range a.auth {
		if h != "Bearer tok" {
			t.Fatalf("Authorization %q, want Bearer tok", h)
		}
	}
}

// TestCreateTenantsImports: the tenants go through the import route, the
// first alone, then ImportBatch at a time, never more calls than the bound
// at once, and never one per tenant.
func TestCreateTenantsImports(t *testing.T) {
	a := &apiStandIn{}
	srv := httptest.NewServer(a)
	defer srv.Close()
	const n = 2*ImportBatch + 500
	keys, err := CreateTenants(context.Background(), API{URL: srv.URL, Token: "tok"}, "r0", n, 2, func(int) string { return "http://127.0.0.1:1/t" })
	if err != nil {
		t.Fatal(err)
	}
	a.checkCreated(t, "r0", n, keys)
	if a.creates.Load() != 0 || a.imports.Load() != 4 || a.largest != ImportBatch || a.peak.Load() > 2 {
		t.Errorf("%d single creates, %d imports of at most %d tenants, at most %d calls at once; want 0, 4 (1 + 3 batches) of %d, at most 2",
			a.creates.Load(), a.imports.Load(), a.largest, a.peak.Load(), ImportBatch)
	}
}

// TestCreateTenantsConcurrency: against a server without the import route
// every tenant is created one per call, with the token, never more than
// the bound at once; a refused first tenant stops the run before any other
// request.
func TestCreateTenantsConcurrency(t *testing.T) {
	a := &apiStandIn{noImport: true}
	srv := httptest.NewServer(a)
	defer srv.Close()
	keys, err := CreateTenants(context.Background(), API{URL: srv.URL, Token: "tok"}, "r1", 60, 4, func(int) string { return "http://127.0.0.1:1/t" })
	if err != nil {
		t.Fatal(err)
	}
	a.checkCreated(t, "r1", 60, keys)
	if a.creates.Load() != 60 || a.imports.Load() != 0 || a.peak.Load() > 4 || a.peak.Load() < 2 {
		t.Errorf("%d creates, %d imports, at most %d at once; want 60, 0, between 2 and 4 at once", a.creates.Load(), a.imports.Load(), a.peak.Load())
	}
	for _, noImport := range []bool{false, true} {
		refused := &apiStandIn{status: http.StatusUnauthorized, noImport: noImport}
		srv2 := httptest.NewServer(refused)
		defer srv2.Close()
		if _, err := CreateTenants(context.Background(), API{URL: srv2.URL, Token: "bad"}, "r2", 60, 4, func(int) string { return "x" }); err == nil ||
			!strings.Contains(err.Error(), "--api-token") || len(refused.auth) != 1 {
			t.Errorf("noImport %v: err = %v after %d calls, want one call refused naming --api-token", noImport, err, len(refused.auth))
		}
	}
}

// TestReceiverVerifiesSignatures: a delivery signed with its tenant's key
// passes; another key, a missing signature or an unknown tenant is counted.
func TestReceiverVerifiesSignatures(t *testing.T) {
	r, err := StartReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	key0, key1 := []byte("tenant zero's signing key"), []byte("tenant one's signing key!")
	r.SetSigningKeys([][]byte{key0, key1})
	body := []byte(`{"event":"interview.scores","data":{"meetingCode":"M1"}}`)
	post := func(path string, sign []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, r.URL+path, bytes.NewReader(body))
		req.Header.Set("webhook-id", "msg_1")
		req.Header.Set("webhook-timestamp", "1700000000")
		if sign != nil {
			req.Header.Set("webhook-signature", webhooks.SignatureHeader([][]byte{[]byte("old key of rotation"), sign}, "msg_1", 1700000000, body))
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	post("/t/1", key1)
	if n := r.BadSignatures(); n != 0 {
		t.Fatalf("bad signatures after a good one: %d", n)
	}
	post("/t/0", key1) // tenant one's key on tenant zero's endpoint
	post("/t/1", nil)  // unsigned
	post("/t/7", key1) // no such tenant
	if n := r.BadSignatures(); n != 3 {
		t.Fatalf("bad signatures = %d, want 3", n)
	}
}
