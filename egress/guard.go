// Package egress is the SSRF guard shared by endpoint validation and
// delivery: it decides which addresses outbound requests may reach, checks
// endpoint URLs when they are saved, and checks every address actually
// dialed, after DNS, so a name that later resolves elsewhere cannot slip
// through.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Transport tuning for many endpoints; callers bound each request with a
// context or Client timeout, so there is no response header timeout.
const (
	dialTimeout   = 30 * time.Second
	dialKeepAlive = 30 * time.Second
	maxIdleConns  = 512
	// maxIdleConnsPerHost covers the default 100 delivery workers on one
	// host: an ATS vendor's tenants often share their ATS's API host, and a
	// smaller pool closed and re-dialled connections on every burst
	// (7.7 % of the server's CPU at 1,000 deliveries/s, issue 8).
	maxIdleConnsPerHost   = 128
	idleConnTimeout       = 90 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	expectContinueTimeout = 1 * time.Second
)

// MaxResponseHeaderBytes bounds the status line and headers of one answer
// (HTTP/1.1; HTTP/2 adds its 32 bytes per field for ten fields). net/http's
// default is 10 MB, which 100 delivery workers facing hostile receivers
// could turn into 1 GB. A receiver's real headers fit in a few KiB (an
// nginx in front of it answers 502 when its upstream's exceed
// proxy_buffer_size, 4 or 8 KiB by default) and Switchboard keeps only a
// few of them; 64 KiB leaves ample room and matches the part of the body
// that is read. net/http's server default for requests, 1 MiB, is meant
// for browsers' cookies, which an ATS's answer doesn't carry.
const MaxResponseHeaderBytes = 64 << 10

// ErrBlocked is wrapped by every refusal from CheckAddr, CheckURL,
// DialContext and requests made through Transport or Client; test it with
// errors.Is. Errors that do not wrap it are lookup failures, dial failures
// or context cancellations, which may succeed later.
var ErrBlocked = errors.New("egress: address not allowed")

// privateReasons are the Classify reasons AllowPrivate unlocks: places a test
// or demo receiver can live. Metadata, multicast, unspecified and the rest
// stay blocked unless the address is on the Allow list.
var privateReasons = map[string]bool{
	"loopback":   true,
	"private":    true,
	"link-local": true,
	"site-local": true,
	"cgnat":      true,
}

// Guard decides which addresses outbound requests may reach. The zero value
// (and a nil *Guard) allows only public addresses. A Guard must not be
// changed while it is in use.
type Guard struct {
	// AllowPrivate (SWITCHBOARD_ALLOW_PRIVATE_ENDPOINTS) allows loopback,
	// private, link-local, site-local and CGNAT addresses, for tests and demos.
	// Cloud metadata addresses stay blocked unless on Allow.
	AllowPrivate bool
	// Allow lists prefixes that are always allowed, whatever Classify says,
	// even when AllowPrivate is false.
	Allow []netip.Prefix
	// Resolver looks up host names; nil means net.DefaultResolver.
	Resolver *net.Resolver
}

// BlockedError is the refusal of one address. Host is the name that
// resolved to Addr, empty when the address was given literally. Reason is
// Classify's reason. It unwraps to ErrBlocked.
type BlockedError struct {
	Host   string
	Addr   netip.Addr
	Reason string
}

// Error says which address was refused and why, in words fit for an admin.
func (e *BlockedError) Error() string {
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("host %s resolves to %s (%s), which is not allowed", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("address %s (%s) is not allowed", e.Addr, e.Reason)
}

// Unwrap returns ErrBlocked.
func (e *BlockedError) Unwrap() error { return ErrBlocked }

// CheckAddr returns nil when a may be reached and a *BlockedError otherwise:
// a is allowed when Classify does not block it, when it is in an Allow
// prefix, or when AllowPrivate is set and its reason is a private one.
func (g *Guard) CheckAddr(a netip.Addr) error {
	return g.check("", a)
}

func (g *Guard) check(host string, a netip.Addr) error {
	reason, blocked := Classify(a)
	if !blocked || g.allowed(a, reason) {
		return nil
	}
	return &BlockedError{Host: host, Addr: a, Reason: reason}
}

func (g *Guard) allowed(a netip.Addr, reason string) bool {
	if g == nil || !a.IsValid() {
		return false
	}
	plain := a.Unmap().WithZone("")
	for _, p := range g.Allow {
		if p.Contains(plain) || p.Contains(a.WithZone("")) {
			return true
		}
	}
	return g.AllowPrivate && privateReasons[reason]
}

func (g *Guard) resolver() *net.Resolver {
	if g == nil || g.Resolver == nil {
		return net.DefaultResolver
	}
	return g.Resolver
}

// DialContext dials like net.Dialer.DialContext but refuses, before
// connecting, any address the Guard does not allow. The check runs on each
// IP actually dialed, after DNS, so DNS rebinding cannot bypass it. Only
// tcp, tcp4 and tcp6 are supported. Refusals wrap ErrBlocked (inside a
// *net.OpError).
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("egress: network %q is not allowed: %w", network, ErrBlocked)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("egress: dial %s: %w", addr, err)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		host = "" // a literal: the error names the address alone
	}
	d := g.dialer()
	d.Control = func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("egress: cannot check dialed address %q: %w", address, ErrBlocked)
		}
		return g.check(host, ap.Addr())
	}
	return d.DialContext(ctx, network, addr)
}

func (g *Guard) dialer() *net.Dialer {
	return &net.Dialer{Timeout: dialTimeout, KeepAlive: dialKeepAlive, Resolver: g.resolver()}
}

// Transport returns a new *http.Transport tuned for many endpoints
// (keep-alive, HTTP/2, 512 idle connections, 128 per host, answers' headers
// bounded by MaxResponseHeaderBytes) that dials through
// DialContext. Proxies come from HTTPS_PROXY, HTTP_PROXY and NO_PROXY; the
// proxy itself may be private, but before a request goes through it the
// target host is checked as CheckURL does, since the Guard cannot see what
// the proxy dials. Build one per process and reuse it: each call has its own
// connection pool.
func (g *Guard) Transport() *http.Transport {
	return g.transport(http.ProxyFromEnvironment)
}

// Client returns an *http.Client over a new Transport with the given overall
// timeout (0 means none; prefer a context deadline per request). It never
// follows redirects: a 3xx comes back as the response, so a redirect
// cannot lead a delivery somewhere the endpoint URL was not checked for.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: g.Transport(),
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
