package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// testKeyBytes encodes with "+" and "/" in standard base64 and "-" and "_" in URL base64, so the ParseKey
// cases below really exercise each alphabet.
var testKeyBytes = append(seq(0, 26), 0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff)

func seq(from byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = from + byte(i)
	}
	return b
}

func TestParseKey(t *testing.T) {
	long := seq(100, 64)
	cases := []struct {
		name    string
		in      string
		want    []byte
		wantErr string
	}{
		{name: "base64 std padded", in: base64.StdEncoding.EncodeToString(testKeyBytes), want: testKeyBytes},
		{name: "base64 url padded", in: base64.URLEncoding.EncodeToString(testKeyBytes), want: testKeyBytes},
		{name: "base64 std raw", in: base64.RawStdEncoding.EncodeToString(testKeyBytes), want: testKeyBytes},
		{name: "base64 url raw", in: base64.RawURLEncoding.EncodeToString(testKeyBytes), want: testKeyBytes},
		{name: "hex lower", in: hex.EncodeToString(testKeyBytes), want: testKeyBytes},
		{name: "hex upper", in: strings.ToUpper(hex.EncodeToString(testKeyBytes)), want: testKeyBytes},
		{name: "surrounding whitespace", in: "  " + hex.EncodeToString(testKeyBytes) + "\n", want: testKeyBytes},
		{name: "64 bytes", in: base64.StdEncoding.EncodeToString(long), want: long},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "whitespace only", in: " \n\t", wantErr: "empty"},
		{name: "base64 too short", in: base64.StdEncoding.EncodeToString(seq(1, 31)), wantErr: "31 bytes"},
		{name: "hex too short", in: hex.EncodeToString(seq(1, 24)), wantErr: "24 bytes"},
		{name: "garbage", in: "correct horse battery staple, definitely secret!", wantErr: "neither hex nor base64"},
		{name: "mixed alphabets", in: "+" + base64.RawURLEncoding.EncodeToString(testKeyBytes)[1:] + "_", wantErr: "neither"},
		{name: "odd hex", in: hex.EncodeToString(testKeyBytes)[1:], wantErr: "odd number of hex digits"},
		{name: "repeated word", in: strings.Repeat("password", 6), wantErr: "does not look random"},
		{name: "all zero", in: strings.Repeat("0", 64), wantErr: "does not look random"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseKey(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				if in := strings.TrimSpace(tc.in); in != "" && strings.Contains(err.Error(), in) {
					t.Fatalf("error %q echoes the input", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got.b, tc.want) {
				t.Fatalf("got %x (err %v), want %x", got.b, err, tc.want)
			}
		})
	}
}

func TestGenerateKey(t *testing.T) {
	s1, s2 := mustGenerateKey(t), mustGenerateKey(t)
	if s1 == s2 {
		t.Fatalf("two keys are equal: %q", s1)
	}
	if len(s1) != 43 || strings.ContainsAny(s1, "+/=") {
		t.Fatalf("got %q, want 43 characters of unpadded base64url", s1)
	}
	k := mustParseKey(t, s1)
	if len(k.b) != 32 {
		t.Fatalf("key has %d bytes, want 32", len(k.b))
	}
}

func TestKeyNeverPrintsBytes(t *testing.T) {
	k := Key{b: testKeyBytes}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		got := fmt.Sprintf(verb, k) + fmt.Sprintf(verb, struct{ K Key }{k}) + fmt.Sprintf(verb, NewKeyring(k))
		if strings.Contains(got, hex.EncodeToString(testKeyBytes[:4])) || strings.Contains(got, "[0 1 2") ||
			strings.Contains(strings.ToLower(got), "000102") || !strings.Contains(got, k.ID()) {
			t.Errorf("Sprintf(%s) = %q, want only the key ID %s", verb, got, k.ID())
		}
	}
}

func TestKeyID(t *testing.T) {
	a, b := Key{b: testKeyBytes}, Key{b: seq(7, 32)}
	// Known answer: key IDs are stored in sealed values, so they must never change.
	if got, want := a.ID(), "f72c4590"; got != want {
		t.Fatalf("ID() = %q, want %q", got, want)
	}
	if a.ID() == b.ID() {
		t.Fatalf("two keys share ID %q", a.ID())
	}
	if got := (Key{}).ID(); got != "" {
		t.Fatalf("zero Key ID = %q, want empty", got)
	}
}

func mustGenerateKey(t testing.TB) string {
	t.Helper()
	s, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustParseKey(t testing.TB, s string) Key {
	t.Helper()
	k, err := ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newTestKey returns a fresh random key.
func newTestKey(t testing.TB) Key {
	t.Helper()
	return mustParseKey(t, mustGenerateKey(t))
}
