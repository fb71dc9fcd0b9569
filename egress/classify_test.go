package egress

import (
	"errors"
	"net/netip"
	"testing"
)

var classifyCases = []struct {
	name, addr string
	want       string // "" means allowed
}{
	{name: "loopback v4", addr: "127.0.0.1", want: "loopback"},
	{name: "loopback v4 top", addr: "127.255.255.254", want: "loopback"},
	{name: "loopback v6", addr: "::1", want: "loopback"},
	{name: "private 10/8", addr: "10.1.2.3", want: "private"},
	{name: "private 172.16/12 low", addr: "172.16.0.1", want: "private"},
	{name: "private 172.16/12 high", addr: "172.31.255.255", want: "private"},
	{name: "just above 172.16/12", addr: "172.32.0.1"},
	{name: "private 192.168/16", addr: "192.168.1.1", want: "private"},
	{name: "unique local fc00::/7", addr: "fd12:3456::1", want: "private"},
	{name: "unique local fc00::", addr: "fc00::1", want: "private"},
	{name: "link-local v4", addr: "169.254.1.1", want: "link-local"},
	{name: "metadata v4", addr: "169.254.169.254", want: "metadata"},
	{name: "metadata v6", addr: "fd00:ec2::254", want: "metadata"},
	{name: "link-local v6", addr: "fe80::1", want: "link-local"},
	{name: "link-local v6 with zone", addr: "fe80::1%eth0", want: "link-local"},
	{name: "cgnat", addr: "100.64.0.1", want: "cgnat"},
	{name: "cgnat top", addr: "100.127.255.255", want: "cgnat"},
	{name: "just above cgnat", addr: "100.128.0.1"},
	{name: "multicast v4", addr: "224.0.0.1", want: "multicast"},
	{name: "multicast v4 top", addr: "239.255.255.255", want: "multicast"},
	{name: "multicast v6", addr: "ff02::1", want: "multicast"},
	{name: "unspecified v4", addr: "0.0.0.0", want: "unspecified"},
	{name: "unspecified v6", addr: "::", want: "unspecified"},
	{name: "this network", addr: "0.1.2.3", want: "this-network"},
	{name: "broadcast", addr: "255.255.255.255", want: "broadcast"},
	{name: "reserved 240/4", addr: "240.0.0.1", want: "reserved"},
	{name: "benchmarking low", addr: "198.18.0.1", want: "benchmarking"},
	{name: "benchmarking high", addr: "198.19.255.255", want: "benchmarking"},
	{name: "benchmarking v6", addr: "2001:2::1", want: "benchmarking"},
	{name: "test-net-1", addr: "192.0.2.1", want: "documentation"},
	{name: "test-net-2", addr: "198.51.100.7", want: "documentation"},
	{name: "test-net-3", addr: "203.0.113.9", want: "documentation"},
	{name: "documentation v6", addr: "2001:db8::1", want: "documentation"},
	{name: "documentation v6 3fff::/20", addr: "3fff::1", want: "documentation"},
	{name: "ietf protocol assignments", addr: "192.0.0.170", want: "reserved"},
	{name: "mapped loopback", addr: "::ffff:127.0.0.1", want: "loopback"},
	{name: "mapped private", addr: "::ffff:10.0.0.1", want: "private"},
	{name: "mapped metadata", addr: "::ffff:169.254.169.254", want: "metadata"},
	{name: "mapped public", addr: "::ffff:8.8.8.8"},
	{name: "compatible loopback", addr: "::127.0.0.1", want: "loopback"},
	{name: "compatible public is still blocked", addr: "::8.8.8.8", want: "ipv4-compatible"},
	{name: "nat64 loopback", addr: "64:ff9b::127.0.0.1", want: "loopback"},
	{name: "nat64 metadata", addr: "64:ff9b::a9fe:a9fe", want: "metadata"},
	{name: "nat64 public", addr: "64:ff9b::808:808"},
	{name: "nat64 local use", addr: "64:ff9b:1::1", want: "private"},
	{name: "6to4 private", addr: "2002:c0a8:0101::1", want: "private"},
	{name: "6to4 loopback", addr: "2002:7f00:1::1", want: "loopback"},
	{name: "6to4 public", addr: "2002:808:808::1"},
	{name: "teredo", addr: "2001:0:4136:e378:8000:63bf:3fff:fdd2", want: "teredo"},
	{name: "site-local", addr: "fec0::1", want: "site-local"},
	{name: "ipv4-translated is outside global unicast", addr: "::ffff:0:7f00:1", want: "reserved"},
	{name: "discard-only", addr: "100::1", want: "reserved"},
	{name: "public google dns", addr: "8.8.8.8"},
	{name: "public cloudflare", addr: "1.1.1.1"},
	{name: "public cloudflare v6", addr: "2606:4700::1111"},
	{name: "public google v6", addr: "2001:4860:4860::8888"},
	{name: "public just below 10/8", addr: "9.255.255.255"},
	{name: "public just above 127/8", addr: "128.0.0.1"},
}

func TestClassify(t *testing.T) {
	for _, tc := range classifyCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reason, blocked := Classify(netip.MustParseAddr(tc.addr))
			if blocked != (tc.want != "") || reason != tc.want {
				t.Fatalf("Classify(%s) = %q, %v; want %q, %v", tc.addr, reason, blocked, tc.want, tc.want != "")
			}
		})
	}
}

func TestClassifyInvalid(t *testing.T) {
	if reason, blocked := Classify(netip.Addr{}); !blocked || reason != "invalid" {
		t.Fatalf("Classify(zero) = %q, %v; want \"invalid\", true", reason, blocked)
	}
}

func TestCheckAddr(t *testing.T) {
	cases := []struct {
		name  string
		guard *Guard
		addr  string
		want  bool // allowed
	}{
		{name: "nil guard allows public", guard: nil, addr: "8.8.8.8", want: true},
		{name: "nil guard refuses loopback", guard: nil, addr: "127.0.0.1"},
		{name: "zero guard refuses private", guard: &Guard{}, addr: "10.0.0.1"},
		{name: "allow private: loopback", guard: &Guard{AllowPrivate: true}, addr: "127.0.0.1", want: true},
		{name: "allow private: mapped loopback", guard: &Guard{AllowPrivate: true}, addr: "::ffff:127.0.0.1", want: true},
		{name: "allow private: rfc1918", guard: &Guard{AllowPrivate: true}, addr: "192.168.1.10", want: true},
		{name: "allow private: ula", guard: &Guard{AllowPrivate: true}, addr: "fd00::1", want: true},
		{name: "allow private still refuses metadata", guard: &Guard{AllowPrivate: true}, addr: "169.254.169.254"},
		{name: "allow private still refuses unspecified", guard: &Guard{AllowPrivate: true}, addr: "0.0.0.0"},
		{name: "allow private still refuses multicast", guard: &Guard{AllowPrivate: true}, addr: "224.0.0.1"},
		{name: "allow list exact", guard: &Guard{Allow: prefixes("10.1.2.3/32")}, addr: "10.1.2.3", want: true},
		{name: "allow list mapped", guard: &Guard{Allow: prefixes("10.1.2.3/32")}, addr: "::ffff:10.1.2.3", want: true},
		{name: "allow list neighbour", guard: &Guard{Allow: prefixes("10.1.2.3/32")}, addr: "10.1.2.4"},
		{name: "allow list metadata", guard: &Guard{Allow: prefixes("169.254.169.254/32")}, addr: "169.254.169.254", want: true},
		{name: "allow list v6 with zone", guard: &Guard{Allow: prefixes("fe80::/10")}, addr: "fe80::1%eth0", want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.guard.CheckAddr(netip.MustParseAddr(tc.addr))
			if tc.want {
				if err != nil {
					t.Fatalf("CheckAddr(%s) = %v, want nil", tc.addr, err)
				}
				return
			}
			var be *BlockedError
			if !errors.As(err, &be) || !errors.Is(err, ErrBlocked) {
				t.Fatalf("CheckAddr(%s) = %v, want a *BlockedError wrapping ErrBlocked", tc.addr, err)
			}
			if be.Addr != netip.MustParseAddr(tc.addr) {
				t.Fatalf("BlockedError.Addr = %s, want %s", be.Addr, tc.addr)
			}
		})
	}
}

func prefixes(ss ...string) []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range ss {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}
