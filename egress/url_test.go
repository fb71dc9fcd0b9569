package egress

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	cases := []struct {
		name, url string
		guard     Guard
		wantErr   string // "" means allowed
	}{
		{name: "public literal https", url: "https://8.8.8.8/hook"},
		{name: "public literal with port", url: "http://1.1.1.1:8080/hook"},
		{name: "public v6 literal", url: "https://[2606:4700::1111]/hook"},
		{name: "bad scheme ftp", url: "ftp://8.8.8.8/", wantErr: "scheme must be http or https"},
		{name: "bad scheme file", url: "file:///etc/passwd", wantErr: "scheme must be http or https"},
		{name: "no scheme", url: "8.8.8.8/hook", wantErr: "scheme must be http or https"},
		{name: "userinfo", url: "https://user:pass@8.8.8.8/", wantErr: "user name or password"},
		{name: "user only", url: "https://user@8.8.8.8/", wantErr: "user name or password"},
		{name: "empty host", url: "https:///hook", wantErr: "host is required"},
		{name: "empty host with port", url: "http://:8080/", wantErr: "host is required"},
		{name: "unparsable", url: "http://[::1/", wantErr: "cannot parse"},
		{name: "port zero", url: "http://8.8.8.8:0/", wantErr: "port 0"},
		{name: "port too big", url: "http://8.8.8.8:65536/", wantErr: "port 65536"},
		{name: "loopback literal", url: "http://127.0.0.1/", wantErr: "address 127.0.0.1 (loopback) is not allowed"},
		{name: "decimal loopback", url: "http://2130706433/", wantErr: `"2130706433" is a non-canonical spelling of 127.0.0.1`},
		{name: "hex loopback", url: "http://0x7f.1/", wantErr: `"0x7f.1" is a non-canonical spelling of 127.0.0.1`},
		{name: "hex dword loopback", url: "http://0x7f000001/", wantErr: "non-canonical spelling of 127.0.0.1"},
		{name: "octal loopback", url: "http://0177.0.0.1/", wantErr: `"0177.0.0.1" is a non-canonical spelling of 127.0.0.1`},
		{name: "short loopback", url: "http://127.1/", wantErr: `"127.1" is a non-canonical spelling of 127.0.0.1`},
		{name: "padded loopback", url: "http://127.000.000.001/", wantErr: "non-canonical spelling of 127.0.0.1"},
		{name: "trailing dot loopback", url: "http://127.0.0.1./", wantErr: "non-canonical spelling of 127.0.0.1"},
		{name: "non-canonical public still refused", url: "http://134744072/", wantErr: "non-canonical spelling of 8.8.8.8"},
		{name: "numeric junk", url: "http://1.2.3.4.5/", wantErr: "neither an IP address nor a host name"},
		{name: "localhost", url: "http://localhost:8080/", wantErr: "host localhost resolves to 127.0.0.1 (loopback), which is not allowed"},
		{name: "localhost upper case", url: "http://LOCALHOST/", wantErr: "(loopback)"},
		{name: "sub.localhost", url: "http://app.localhost/", wantErr: "(loopback)"},
		{name: "localhost trailing dot", url: "http://localhost./", wantErr: "(loopback)"},
		{name: "localhost allowed private", url: "http://localhost:8080/", guard: Guard{AllowPrivate: true}},
		{name: "localhost allowed by list", url: "http://localhost:8080/", guard: Guard{Allow: prefixes("127.0.0.1/32")}},
		{name: "v6 loopback", url: "http://[::1]/", wantErr: "address ::1 (loopback)"},
		{name: "mapped v6 loopback", url: "http://[::ffff:127.0.0.1]/", wantErr: "(loopback) is not allowed"},
		{name: "metadata", url: "http://169.254.169.254/latest/meta-data/", wantErr: "(metadata) is not allowed"},
		{name: "metadata even with allow private", url: "http://169.254.169.254/", guard: Guard{AllowPrivate: true}, wantErr: "(metadata)"},
		{name: "private", url: "https://10.0.0.5/", wantErr: "(private)"},
		{name: "private allowed", url: "https://10.0.0.5/", guard: Guard{AllowPrivate: true}},
		{name: "private allowed by list", url: "https://10.0.0.5/", guard: Guard{Allow: prefixes("10.0.0.0/24")}},
		{name: "non-ascii host", url: "https://exämple.com/", wantErr: "punycode"},
		{name: "odd character in host", url: "https://exa$mple.com/", wantErr: "not allowed in a host name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.guard.CheckURL(context.Background(), tc.url)
			checkRefusal(t, err, tc.wantErr)
		})
	}
}

// TestCheckURLResolves resolves names through a loopback DNS server: a name is
// refused when any of its addresses is, and lookup failures are not refusals.
func TestCheckURLResolves(t *testing.T) {
	r := startDNS(t, map[string][]netip.Addr{
		"public.test":   {netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("2606:4700::1111")},
		"mixed.test":    {netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("10.0.0.1")},
		"mixed-v6.test": {netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("::1")},
		"metadata.test": {netip.MustParseAddr("169.254.169.254")},
		"nodata.test":   nil,
	})
	cases := []struct {
		name, url   string
		allow       bool
		wantErr     string
		wantBlocked bool
	}{
		{name: "all public", url: "https://public.test/hook"},
		{name: "one private", url: "https://mixed.test/hook", wantErr: "url: host mixed.test resolves to 10.0.0.1 (private), which is not allowed", wantBlocked: true},
		{name: "one loopback v6", url: "https://mixed-v6.test/", wantErr: "resolves to ::1 (loopback)", wantBlocked: true},
		{name: "one private, allowed", url: "https://mixed.test/hook", allow: true},
		{name: "metadata name", url: "https://metadata.test/", allow: true, wantErr: "resolves to 169.254.169.254 (metadata)", wantBlocked: true},
		{name: "unknown name", url: "https://missing.test/", wantErr: "cannot resolve host missing.test"},
		{name: "no addresses", url: "https://nodata.test/", wantErr: "cannot resolve host nodata.test"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := &Guard{AllowPrivate: tc.allow, Resolver: r}
			err := g.CheckURL(context.Background(), tc.url)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckURL(%s) = %v, want nil", tc.url, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("CheckURL(%s) = %v, want it to mention %q", tc.url, err, tc.wantErr)
			}
			if got := errors.Is(err, ErrBlocked); got != tc.wantBlocked {
				t.Fatalf("errors.Is(%v, ErrBlocked) = %v, want %v", err, got, tc.wantBlocked)
			}
		})
	}
}

func TestParseLooseIPv4(t *testing.T) {
	cases := []struct {
		in, want string // want "" means not an address
	}{
		{in: "2130706433", want: "127.0.0.1"},
		{in: "0x7f.1", want: "127.0.0.1"},
		{in: "0X7F.0.1", want: "127.0.0.1"},
		{in: "0177.0.0.1", want: "127.0.0.1"},
		{in: "127.1", want: "127.0.0.1"},
		{in: "10.1.258", want: "10.1.1.2"},
		{in: "0x", want: "0.0.0.0"},
		{in: "4294967296"},
		{in: "256.1.1.1"},
		{in: "1.2.3.4.5"},
		{in: "08.1.1.1"}, // 8 is not an octal digit
		{in: "0x1g"},
		{in: "1.+2"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, ok := parseLooseIPv4(tc.in)
			if ok != (tc.want != "") || (ok && got.String() != tc.want) {
				t.Fatalf("parseLooseIPv4(%q) = %v, %v; want %q", tc.in, got, ok, tc.want)
			}
		})
	}
}

// checkRefusal fails t unless err is nil when wantErr is empty, or is a
// refusal (wrapping ErrBlocked) whose message contains wantErr.
func checkRefusal(t testing.TB, err error, wantErr string) {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Fatalf("err = %v, want it to mention %q", err, wantErr)
	}
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("err = %v does not wrap ErrBlocked", err)
	}
}
