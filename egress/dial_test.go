package egress

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startServer runs a loopback HTTP server that answers "ok" and counts hits.
func startServer(t testing.TB) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestDialContext(t *testing.T) {
	srv, _ := startServer(t)
	addr := srv.Listener.Addr().String() // 127.0.0.1:port
	_, port, _ := net.SplitHostPort(addr)
	r := startDNS(t, map[string][]netip.Addr{"rebind.test": {netip.MustParseAddr("127.0.0.1")}})
	cases := []struct {
		name, network, addr string
		guard               *Guard
		wantErr             string // "" means the dial succeeds
	}{
		{name: "loopback refused", network: "tcp", addr: addr, guard: &Guard{}, wantErr: "address 127.0.0.1 (loopback) is not allowed"},
		{name: "nil guard refuses", network: "tcp", addr: addr, wantErr: "(loopback)"},
		{name: "loopback with allow private", network: "tcp", addr: addr, guard: &Guard{AllowPrivate: true}},
		{name: "loopback on allow list", network: "tcp4", addr: addr, guard: &Guard{Allow: prefixes("127.0.0.1/32")}},
		{name: "other allow list refused", network: "tcp", addr: addr, guard: &Guard{Allow: prefixes("10.0.0.0/8")}, wantErr: "(loopback)"},
		{name: "name resolving to loopback refused after dns", network: "tcp", addr: "rebind.test:" + port, guard: &Guard{Resolver: r}, wantErr: "host rebind.test resolves to 127.0.0.1 (loopback)"},
		{name: "name resolving to loopback allowed", network: "tcp", addr: "rebind.test:" + port, guard: &Guard{Resolver: r, AllowPrivate: true}},
		{name: "localhost refused", network: "tcp", addr: "localhost:" + port, guard: &Guard{}, wantErr: "(loopback)"},
		{name: "mapped loopback refused", network: "tcp", addr: "[::ffff:127.0.0.1]:" + port, guard: &Guard{}, wantErr: "(loopback)"},
		{name: "unspecified refused even with allow private", network: "tcp", addr: "0.0.0.0:" + port, guard: &Guard{AllowPrivate: true}, wantErr: "(unspecified)"},
		{name: "udp refused", network: "udp", addr: addr, guard: &Guard{AllowPrivate: true}, wantErr: `network "udp" is not allowed`},
		{name: "unix refused", network: "unix", addr: "/tmp/x.sock", guard: &Guard{AllowPrivate: true}, wantErr: `network "unix" is not allowed`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, err := tc.guard.DialContext(ctx, tc.network, tc.addr)
			if err == nil {
				conn.Close()
			}
			checkRefusal(t, err, tc.wantErr)
		})
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	target, targetHits := startServer(t)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
	}))
	t.Cleanup(redirect.Close)

	g := &Guard{AllowPrivate: true}
	resp, err := g.Client(5 * time.Second).Get(redirect.URL)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status = %d, want %d", resp.StatusCode, http.StatusFound)
	}
	if got := resp.Header.Get("Location"); got != target.URL+"/elsewhere" {
		t.Fatalf("Location = %q, want %q", got, target.URL+"/elsewhere")
	}
	if n := targetHits.Load(); n != 0 {
		t.Fatalf("redirect target got %d requests, want 0", n)
	}
}

func TestClientRequests(t *testing.T) {
	srv, hits := startServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	cases := []struct {
		name, url string
		guard     *Guard
		wantErr   string // "" means 200 "ok"
	}{
		{name: "loopback refused", url: srv.URL, guard: &Guard{}, wantErr: "(loopback) is not allowed"},
		{name: "localhost refused", url: "http://localhost:" + port + "/", guard: &Guard{}, wantErr: "host localhost resolves to 127.0.0.1 (loopback), which is not allowed"},
		{name: "loopback allowed private", url: srv.URL, guard: &Guard{AllowPrivate: true}},
		{name: "localhost allowed by list", url: "http://localhost:" + port + "/", guard: &Guard{Allow: prefixes("127.0.0.0/8", "::1/128")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := hits.Load()
			resp, err := tc.guard.Client(5 * time.Second).Get(tc.url)
			if tc.wantErr != "" {
				if resp != nil {
					resp.Body.Close()
				}
				checkRefusal(t, err, tc.wantErr)
				if n := hits.Load() - before; n != 0 {
					t.Fatalf("server got %d requests, want 0", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("get %s: %v", tc.url, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "ok" {
				t.Fatalf("got %d %q, want 200 \"ok\"", resp.StatusCode, body)
			}
		})
	}
}

// TestProxy sends requests through a loopback proxy: the proxy may be private,
// the target may not, and a refused target never reaches the proxy.
func TestProxy(t *testing.T) {
	var seen atomic.Value
	var proxyHits atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxyHits.Add(1)
		seen.Store(r.URL.String()) // absolute form: the proxy never forwards it
		io.WriteString(w, "proxied")
	}))
	t.Cleanup(proxy.Close)
	proxyURL, err := url.Parse(proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	viaProxy := func(*http.Request) (*url.URL, error) { return proxyURL, nil }
	client := &http.Client{Transport: (&Guard{}).transport(viaProxy), Timeout: 5 * time.Second}

	cases := []struct {
		name, url string
		wantErr   string // "" means the proxy answers
	}{
		{name: "public target through private proxy", url: "http://1.1.1.1/hook"},
		{name: "private target", url: "http://10.0.0.1/hook", wantErr: "address 10.0.0.1 (private) is not allowed"},
		{name: "loopback target", url: "http://127.0.0.1:9/hook", wantErr: "(loopback)"},
		{name: "localhost target", url: "http://localhost/hook", wantErr: "(loopback)"},
		{name: "non-canonical target", url: "http://0x7f.1/", wantErr: "non-canonical"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := proxyHits.Load()
			resp, err := client.Get(tc.url)
			if tc.wantErr != "" {
				if resp != nil {
					resp.Body.Close()
				}
				checkRefusal(t, err, tc.wantErr)
				if n := proxyHits.Load() - before; n != 0 {
					t.Fatalf("proxy got %d requests, want 0", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("get through proxy: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "proxied" || seen.Load() != tc.url {
				t.Fatalf("proxy answered %q for %v, want \"proxied\" for %s", body, seen.Load(), tc.url)
			}
		})
	}
}

// TestDirectRequestToProxyAddress checks a request that bypasses the proxy
// (NO_PROXY) but targets the proxy's own address: the dial skips the address
// check for proxies, so the target is checked before the request is sent.
func TestDirectRequestToProxyAddress(t *testing.T) {
	srv, hits := startServer(t)
	proxyURL, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	noProxyForSelf := func(r *http.Request) (*url.URL, error) {
		if r.URL.Host == proxyURL.Host {
			return nil, nil
		}
		return proxyURL, nil
	}
	client := &http.Client{Transport: (&Guard{}).transport(noProxyForSelf), Timeout: 5 * time.Second}
	resp, err := client.Get(srv.URL + "/direct")
	if resp != nil {
		resp.Body.Close()
	}
	if !errors.Is(err, ErrBlocked) || !strings.Contains(err.Error(), "(loopback)") {
		t.Fatalf("err = %v, want a loopback refusal", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("server got %d requests, want 0", n)
	}
}

func TestTransportSettings(t *testing.T) {
	tr := (&Guard{}).Transport()
	if tr.MaxIdleConns != 512 || tr.MaxIdleConnsPerHost != 128 || tr.IdleConnTimeout != 90*time.Second ||
		tr.TLSHandshakeTimeout != 10*time.Second || !tr.ForceAttemptHTTP2 || tr.ResponseHeaderTimeout != 0 ||
		tr.DisableKeepAlives || tr.Proxy == nil || tr.DialContext == nil {
		t.Fatalf("transport settings = %+v, want the documented tuning", tr)
	}
}

// TestOneHostKeepsItsConnections: concurrent deliveries to one host (an ATS
// that serves many tenants) reuse their connections round after round
// instead of closing all but a few and dialling again.
func TestOneHostKeepsItsConnections(t *testing.T) {
	var dials atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond) // keep the round's requests in flight together
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	client := (&Guard{AllowPrivate: true}).Client(5 * time.Second)
	const workers, rounds = 64, 5
	for range rounds {
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := client.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body) //nolint:errcheck // drained for reuse
				resp.Body.Close()
			}()
		}
		wg.Wait()
	}
	if n := dials.Load(); n > workers {
		t.Fatalf("%d connections for %d concurrent requests over %d rounds: idle connections were closed and re-dialled", n, workers, rounds)
	}
}
