package egress

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// refusal is a policy refusal that is not about one resolved address (bad
// scheme, non-canonical IP spelling...). Its message is shown to admins.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func (r *refusal) Unwrap() error { return ErrBlocked }

func refuse(format string, args ...any) error {
	return &refusal{msg: fmt.Sprintf(format, args...)}
}

// CheckURL validates an endpoint URL when an admin saves it: the scheme is
// http or https, a host is present, there is no user name or password, the
// port (if any) is 1-65535, and the host is not a non-canonical IPv4
// spelling ("2130706433", "0x7f.1", "0177.0.0.1", "127.1"). "localhost" and
// names under ".localhost" stand for loopback without a lookup; other names
// are resolved and the URL is refused if ANY address is not allowed.
//
// Every refusal wraps ErrBlocked and reads like
// "url: host example.com resolves to 10.0.0.1 (private), which is not allowed",
// fit to show the admin. Other errors (the host does not resolve, ctx ended)
// wrap the resolver's error. Passing CheckURL does not make later requests
// safe on its own: delivery must still dial through DialContext.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("url: %w", refuse("cannot parse: %v", err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url: %w", refuse("scheme must be http or https, not %q", u.Scheme))
	}
	if u.User != nil {
		return fmt.Errorf("url: %w", refuse("must not contain a user name or password"))
	}
	if u.Hostname() == "" {
		return fmt.Errorf("url: %w", refuse("host is required"))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("url: %w", refuse("port %s is not between 1 and 65535", p))
		}
	}
	if err := g.checkHost(ctx, u.Hostname()); err != nil {
		return fmt.Errorf("url: %w", err)
	}
	return nil
}

// checkHost applies CheckURL's host rules to a host without brackets or port.
func (g *Guard) checkHost(ctx context.Context, host string) error {
	if a, err := netip.ParseAddr(host); err == nil {
		return g.check("", a)
	}
	if strings.Contains(host, ":") {
		return refuse("host %q is not a valid IPv6 address", host)
	}
	if endsInNumber(host) {
		if a, ok := parseLooseIPv4(host); ok {
			return refuse("host %q is a non-canonical spelling of %s; write the address as %s", host, a, a)
		}
		return refuse("host %q is neither an IP address nor a host name", host)
	}
	if err := checkHostName(host); err != nil {
		return err
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		// RFC 6761: these names are loopback whatever DNS says.
		err := g.check(host, netip.MustParseAddr("127.0.0.1"))
		if err == nil || g.check(host, netip.IPv6Loopback()) == nil {
			return nil
		}
		return err
	}
	addrs, err := g.resolver().LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("cannot resolve host %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("host %s has no addresses", host)
	}
	for _, a := range addrs {
		if err := g.check(host, a); err != nil {
			return err
		}
	}
	return nil
}

// checkHostName refuses names a resolver might read differently from us:
// anything but ASCII letters, digits, '-' and '_' in dot-separated labels.
func checkHostName(host string) error {
	name := strings.TrimSuffix(host, ".")
	if len(name) > 253 {
		return refuse("host name is longer than 253 characters")
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return refuse("host %q has an empty or over-long label", host)
		}
		for _, c := range label {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
			if c > 0x7f {
				return refuse("host %q must be ASCII; use its punycode (xn--) form", host)
			}
			if !ok {
				return refuse("host %q contains %q, which is not allowed in a host name", host, c)
			}
		}
	}
	return nil
}

// endsInNumber reports whether the last label of host is a decimal or 0x hex
// number, which URL parsers and inet_aton read as an IPv4 address.
func endsInNumber(host string) bool {
	labels := strings.Split(host, ".")
	if len(labels) > 1 && labels[len(labels)-1] == "" {
		labels = labels[:len(labels)-1]
	}
	last := labels[len(labels)-1]
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X") {
		_, ok := parseLoosePart(last)
		return ok
	}
	return strings.Trim(last, "0123456789") == ""
}

// parseLooseIPv4 reads host the way inet_aton does: one to four parts, each
// decimal, octal (leading 0) or hex (0x), the last filling the remaining bytes.
func parseLooseIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var ip uint64
	for i, p := range parts {
		n, ok := parseLoosePart(p)
		if !ok {
			return netip.Addr{}, false
		}
		bits := uint(8 * (4 - i))
		if i < len(parts)-1 {
			if n > 0xff {
				return netip.Addr{}, false
			}
			ip |= n << (bits - 8)
			continue
		}
		if n >= 1<<bits {
			return netip.Addr{}, false
		}
		ip |= n
	}
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), true
}

func parseLoosePart(s string) (uint64, bool) {
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		s, base = s[2:], 16
		if s == "" {
			return 0, true
		}
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	if s == "" || strings.ContainsAny(s, "+-_") {
		return 0, false
	}
	n, err := strconv.ParseUint(s, base, 32)
	return n, err == nil
}
