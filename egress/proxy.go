package egress

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
)

// proxyFunc is the shape of http.Transport.Proxy.
type proxyFunc func(*http.Request) (*url.URL, error)

// proxyAddrs holds the host:port of every proxy the transport has used. The
// transport dials proxies and targets through the same hook, so this set is
// how the dialer tells an operator-configured proxy (allowed, even when
// private) from a target (checked).
type proxyAddrs struct {
	mu    sync.Mutex
	addrs map[string]bool
}

func (s *proxyAddrs) add(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addrs[addr] = true
}

func (s *proxyAddrs) has(addr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs[addr]
}

// transport builds the tuned transport with proxies chosen by from.
func (g *Guard) transport(from proxyFunc) *http.Transport {
	proxies := &proxyAddrs{addrs: map[string]bool{}}
	// Learn the configured proxies up front, so a direct request to a proxy's
	// own address is recognised (and checked) from the first request on.
	for _, probe := range []string{"http://egress-probe.invalid/", "https://egress-probe.invalid/"} {
		req, err := http.NewRequest(http.MethodGet, probe, nil)
		if err != nil {
			continue
		}
		if p, err := from(req); err == nil && p != nil {
			proxies.add(canonicalAddr(p))
		}
	}
	return &http.Transport{
		Proxy:                  g.checkedProxy(from, proxies),
		DialContext:            g.transportDial(proxies),
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           maxIdleConns,
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		IdleConnTimeout:        idleConnTimeout,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ExpectContinueTimeout:  expectContinueTimeout,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}
}

// checkedProxy wraps from: when a request goes through a proxy, the proxy
// resolves and dials the target, so the target host is checked here first.
// A direct request whose address is a proxy's would skip the dial check (see
// transportDial), so it is checked here too.
func (g *Guard) checkedProxy(from proxyFunc, proxies *proxyAddrs) proxyFunc {
	return func(req *http.Request) (*url.URL, error) {
		p, err := from(req)
		if err != nil {
			return nil, err
		}
		if p == nil && !proxies.has(canonicalAddr(req.URL)) {
			return nil, nil
		}
		if err := g.checkHost(req.Context(), req.URL.Hostname()); err != nil {
			return nil, fmt.Errorf("egress: request to %s: %w", req.URL.Host, err)
		}
		if p != nil {
			proxies.add(canonicalAddr(p))
		}
		return p, nil
	}
}

// transportDial dials known proxies without the address check and everything
// else through DialContext.
func (g *Guard) transportDial(proxies *proxyAddrs) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if proxies.has(addr) {
			return g.dialer().DialContext(ctx, network, addr)
		}
		return g.DialContext(ctx, network, addr)
	}
}

// canonicalAddr is host:port as http.Transport dials it, with the scheme's
// default port filled in.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
