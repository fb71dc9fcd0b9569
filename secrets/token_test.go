package secrets

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	cases := []struct {
		name    string
		prefix  string
		n       int
		wantLen int
		wantErr string
	}{
		{name: "standard webhooks secret", prefix: "whsec_", n: 32, wantLen: 6 + 44},
		{name: "no prefix", prefix: "", n: 24, wantLen: 32},
		{name: "odd size is padded", prefix: "tok_", n: 17, wantLen: 4 + 24},
		{name: "too few bytes", prefix: "whsec_", n: 15, wantErr: "at least 16"},
		{name: "zero bytes", prefix: "whsec_", n: 0, wantErr: "at least 16"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewToken(tc.prefix, tc.n)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != tc.wantLen || !strings.HasPrefix(got, tc.prefix) {
				t.Fatalf("got %q (err %v), want %d characters starting with %q", got, err, tc.wantLen, tc.prefix)
			}
			raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(got, tc.prefix))
			if err != nil || len(raw) != tc.n {
				t.Fatalf("%q decodes to %d bytes (err %v), want %d bytes of standard base64", got, len(raw), err, tc.n)
			}
		})
	}
}

func TestNewTokenUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok := mustNewToken(t, "whsec_", 16)
		if seen[tok] {
			t.Fatalf("token %q generated twice", tok)
		}
		seen[tok] = true
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{name: "empty", in: "", want: ""},
		{name: "whsec", in: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", want: "whsec_…LaSw"},
		{name: "two-part prefix", in: "sk_live_0123456789abcdefXYZW", want: "sk_live_…XYZW"},
		{name: "no prefix", in: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", want: "…LaSw"},
		{name: "short secret shows no tail", in: "whsec_short", want: "whsec_…"},
		{name: "short without prefix", in: "hunter2", want: "…"},
		{name: "prefix only", in: "whsec_", want: "whsec_…"},
		{name: "single char", in: "x", want: "…"},
		{name: "upper-case is not a prefix", in: "Bearer_0123456789abcdefXYZW", want: "…XYZW"},
		{name: "prefix too long", in: "averylongprefix_0123456789abcdefXYZW", want: "…XYZW"},
		{name: "leading underscore", in: "_abc_0123456789abcdefXYZW", want: "…XYZW"},
		{name: "multibyte tail", in: "whsec_ééééééééééééééééé", want: "whsec_…éééé"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Redact(tc.in); got != tc.want {
				t.Fatalf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRedactNeverReveals(t *testing.T) {
	for n := 16; n <= 64; n++ {
		for _, prefix := range []string{"", "whsec_", "tok_"} {
			tok := mustNewToken(t, prefix, n)
			secret := strings.TrimPrefix(tok, prefix)
			got := Redact(tok)
			if got == tok || strings.Contains(got, secret[:len(secret)-4]) || len([]rune(got)) > len(prefix)+5 {
				t.Fatalf("Redact(%q) = %q reveals too much", tok, got)
			}
		}
	}
	for _, s := range []string{"a", "ab", "abcd", "abcde", "whsec_a", "0123456789abcdef"} {
		if got := Redact(s); got == s || (len(s) > 4 && strings.Contains(got, s)) {
			t.Fatalf("Redact(%q) = %q reveals the secret", s, got)
		}
	}
}

func mustNewToken(t testing.TB, prefix string, n int) string {
	t.Helper()
	tok, err := NewToken(prefix, n)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
