package egress

import "net/netip"

// rangeReason names one blocked prefix. Lists are searched in order, so the
// narrow prefixes (metadata, unspecified) come before the ranges holding them.
type rangeReason struct {
	prefix netip.Prefix
	reason string
}

var blockedV4 = []rangeReason{
	{netip.MustParsePrefix("0.0.0.0/32"), "unspecified"},
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("169.254.169.254/32"), "metadata"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("100.64.0.0/10"), "cgnat"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"}, // IETF protocol assignments
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("192.88.99.0/24"), "reserved"}, // deprecated 6to4 relay anycast
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
}

var blockedV6 = []rangeReason{
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "metadata"},
	{netip.MustParsePrefix("fc00::/7"), "private"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "private"}, // local-use NAT64 (RFC 8215)
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
	{netip.MustParsePrefix("2001:2::/48"), "benchmarking"},
	{netip.MustParsePrefix("2001::/32"), "teredo"},
}

var (
	compatV6  = netip.MustParsePrefix("::/96")
	nat64V6   = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	globalV6  = netip.MustParsePrefix("2000::/3")
)

// Classify reports whether a is an address outbound requests must not reach
// and, if so, why. It is pure: no lookups, no Guard settings.
//
// IPv4-mapped IPv6 addresses are unmapped first, so ::ffff:127.0.0.1 is
// "loopback". NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses take the
// reason of the IPv4 address they embed, and are allowed when it is.
// Reasons: "loopback", "private", "link-local", "metadata", "cgnat",
// "multicast", "unspecified", "this-network", "broadcast", "reserved",
// "benchmarking", "documentation", "site-local", "teredo",
// "ipv4-compatible", "invalid"; IPv6 outside 2000::/3 is "reserved".
func Classify(a netip.Addr) (reason string, blocked bool) {
	if !a.IsValid() {
		return "invalid", true
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return lookup(blockedV4, a)
	}
	if reason, blocked := lookup(blockedV6, a); blocked {
		return reason, true
	}
	b := a.As16()
	switch {
	case compatV6.Contains(a):
		// Deprecated ::a.b.c.d: never routable, but name what it points at.
		if reason, blocked := Classify(netip.AddrFrom4([4]byte(b[12:16]))); blocked {
			return reason, true
		}
		return "ipv4-compatible", true
	case nat64V6.Contains(a):
		return Classify(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(a):
		return Classify(netip.AddrFrom4([4]byte(b[2:6])))
	case !globalV6.Contains(a):
		return "reserved", true
	}
	return "", false
}

func lookup(ranges []rangeReason, a netip.Addr) (string, bool) {
	for _, r := range ranges {
		if r.prefix.Contains(a) {
			return r.reason, true
		}
	}
	return "", false
}
