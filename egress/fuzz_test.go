package egress

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// offlineGuard resolves only through /etc/hosts: fuzzing never sends DNS.
func offlineGuard(allowPrivate bool) *Guard {
	return &Guard{AllowPrivate: allowPrivate, Resolver: &net.Resolver{
		PreferGo: true,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("fuzz: no DNS")
		},
	}}
}

// fuzzURLSeeds are the SSRF spellings the chaos matrix refuses, and a few
// URLs that must pass.
var fuzzURLSeeds = []string{
	"https://8.8.8.8/hook", "http://1.1.1.1:8080/x?y=z#f", "https://[2606:4700::1111]/hook",
	"http://127.0.0.1/", "http://[::1]/", "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/",
	"http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://localhost/", "http://LOCALHOST./",
	"http://a.localhost/", "http://2130706433/", "http://0x7f000001/", "http://0x7f.1/", "http://0177.0.0.1/",
	"http://127.1/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[64:ff9b::7f00:1]/",
	"http://[2002:7f00:1::]/", "http://[fe80::1%25eth0]/", "http://0/", "http://[::]/", "file:///etc/passwd",
	"http://user:pw@8.8.8.8/", "http://8.8.8.8@127.0.0.1/", "http://127.0.0.1%2f@8.8.8.8/", "http://8.8.8.8:0/",
	"http://8.8.8.8:65536/", "http://xn--nxasmq6b/", "http://vm/", "http://exa mple.com/", "http://[::1/",
}

// FuzzCheckURL checks CheckURL's promises on arbitrary input: it never
// panics, answers the same twice, never allows more without AllowPrivate
// than with it, and whatever it allows with the zero policy is http(s)
// without credentials, on a port 1-65535, to a host that is neither a
// blocked address (as Go parses it, or as inet_aton would) nor a
// localhost name.
func FuzzCheckURL(f *testing.F) {
	for _, s := range fuzzURLSeeds {
		f.Add(s)
	}
	strict, private := offlineGuard(false), offlineGuard(true)
	f.Fuzz(func(t *testing.T, raw string) {
		ctx := context.Background()
		err := strict.CheckURL(ctx, raw)
		if again := strict.CheckURL(ctx, raw); (err == nil) != (again == nil) {
			t.Fatalf("CheckURL(%q) changed its mind: %v then %v", raw, err, again)
		}
		if err == nil && private.CheckURL(ctx, raw) != nil {
			t.Fatalf("CheckURL(%q) allowed without AllowPrivate but refused with it", raw)
		}
		if err != nil {
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil {
			t.Fatalf("allowed %q, which net/url cannot parse: %v", raw, perr)
		}
		host := u.Hostname()
		switch {
		case u.Scheme != "http" && u.Scheme != "https":
			t.Fatalf("allowed %q with scheme %q", raw, u.Scheme)
		case u.User != nil:
			t.Fatalf("allowed %q with credentials", raw)
		case host == "":
			t.Fatalf("allowed %q without a host", raw)
		}
		lower := strings.ToLower(strings.TrimSuffix(host, "."))
		if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
			t.Fatalf("allowed %q: a localhost name", raw)
		}
		if a, err := netip.ParseAddr(host); err == nil {
			if reason, blocked := Classify(a); blocked {
				t.Fatalf("allowed %q: %s is %s", raw, a, reason)
			}
		}
		if a, ok := parseLooseIPv4(host); ok {
			if reason, blocked := Classify(a); blocked {
				t.Fatalf("allowed %q: inet_aton reads %s (%s)", raw, a, reason)
			}
		}
	})
}

// FuzzCheckAddr checks that the dial-time check agrees with Classify for
// every IPv4 and IPv6 address (and its IPv4-mapped form).
func FuzzCheckAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::ffff:10.0.0.1", "169.254.169.254", "64:ff9b::a00:1", "2002:c0a8:101::", "8.8.8.8", "2606:4700::1111"} {
		a := netip.MustParseAddr(s).As16()
		f.Add(a[:])
	}
	g := offlineGuard(false)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != 16 && len(b) != 4 {
			return
		}
		a, _ := netip.AddrFromSlice(b)
		reason, blocked := Classify(a)
		if err := g.CheckAddr(a); (err != nil) != blocked {
			t.Fatalf("CheckAddr(%s) = %v but Classify says blocked=%v (%s)", a, err, blocked, reason)
		}
		if a.Is4() {
			mapped := netip.AddrFrom16(a.As16())
			if _, mb := Classify(mapped); mb != blocked {
				t.Fatalf("%s and its mapped form %s disagree", a, mapped)
			}
		}
	})
}
