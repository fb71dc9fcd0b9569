package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

const (
	// knownSealed was sealed by the first version of this package with Key{testKeyBytes} and checked with
	// Python's cryptography package: if it stops opening, every stored secret would too.
	knownSealed    = "v1.f72c4590.NpB8siJIHXm0JnF1Tz9W7IxxDciI-56iO3ETdwWCGJhMxSenyYDhIeCXI4VDMeV5fOJDf-rUOkIYCQvhyY6CLsnM"
	knownPlaintext = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	knownContext   = "endpoint:42:auth"
	// knownDerived is HKDF-SHA256(testKeyBytes, salt nil, info "session-jwt", 32), computed with Python's hmac.
	knownDerived = "3d6b39455f6e35be498a622d125cdad700dc9589f032a678449e741dddf45939"
)

func TestSealOpenRoundTrip(t *testing.T) {
	ring := NewKeyring(newTestKey(t))
	cases := []struct {
		name      string
		plaintext []byte
	}{
		{name: "empty", plaintext: []byte{}},
		{name: "token", plaintext: []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")},
		{name: "binary", plaintext: seq(0, 255)},
		{name: "64 KiB", plaintext: bytes.Repeat([]byte("x"), 64<<10)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sealed := mustSeal(t, ring, tc.plaintext, "endpoint:42:auth")
			if want := "v1." + ring.KeyID() + "."; !strings.HasPrefix(sealed, want) {
				t.Fatalf("sealed = %.40q…, want prefix %q", sealed, want)
			}
			got, err := ring.Open(sealed, "endpoint:42:auth")
			if err != nil || got == nil || !bytes.Equal(got, tc.plaintext) {
				t.Fatalf("Open = %.40q (err %v), want %.40q", got, err, tc.plaintext)
			}
			if again := mustSeal(t, ring, tc.plaintext, "endpoint:42:auth"); again == sealed {
				t.Fatalf("sealing twice gave the same value %.40q: nonce not random", sealed)
			}
		})
	}
}

func TestOpenKnownValue(t *testing.T) {
	got, err := NewKeyring(Key{b: testKeyBytes}).Open(knownSealed, knownContext)
	if err != nil || string(got) != knownPlaintext {
		t.Fatalf("Open = %q (err %v), want %q", got, err, knownPlaintext)
	}
}

func TestOpenFails(t *testing.T) {
	oldKey, newKey := newTestKey(t), newTestKey(t)
	ring := NewKeyring(newKey)
	const ctx = "endpoint:42:auth"
	const secret = "whsec_topsecretvalue"
	sealed := mustSeal(t, ring, []byte(secret), ctx)
	oldSealed := mustSeal(t, NewKeyring(oldKey), []byte(secret), ctx)
	_, kidAndPayload, _ := strings.Cut(sealed, ".")
	_, payload, _ := strings.Cut(kidAndPayload, ".")
	cases := []struct {
		name, sealed, context string
		want                  error
	}{
		{name: "wrong context", sealed: sealed, context: "endpoint:43:auth", want: ErrAuth},
		{name: "wrong field", sealed: sealed, context: "endpoint:42:signing", want: ErrAuth},
		{name: "empty context", sealed: sealed, context: "", want: ErrNoContext},
		{name: "tampered nonce", sealed: flipByte(t, sealed, 0), context: ctx, want: ErrAuth},
		{name: "tampered ciphertext", sealed: flipByte(t, sealed, 14), context: ctx, want: ErrAuth},
		{name: "tampered tag", sealed: flipByte(t, sealed, -1), context: ctx, want: ErrAuth},
		{name: "truncated", sealed: sealed[:len(sealed)-4], context: ctx, want: ErrAuth},
		{name: "unknown key", sealed: oldSealed, context: ctx, want: ErrUnknownKey},
		{name: "kid swapped", sealed: "v1." + NewKeyring(oldKey).KeyID() + "." + payload, context: ctx, want: ErrUnknownKey},
		{name: "empty", sealed: "", context: ctx, want: ErrMalformed},
		{name: "version only", sealed: "v1", context: ctx, want: ErrMalformed},
		{name: "no payload", sealed: "v1." + ring.KeyID(), context: ctx, want: ErrMalformed},
		{name: "empty fields", sealed: "v1..", context: ctx, want: ErrMalformed},
		{name: "other version", sealed: "v2" + sealed[2:], context: ctx, want: ErrMalformed},
		{name: "upper-case kid", sealed: "v1.ABCDEF12." + payload, context: ctx, want: ErrMalformed},
		{name: "padded payload", sealed: sealed + "=", context: ctx, want: ErrMalformed},
		{name: "line break", sealed: sealed[:20] + "\n" + sealed[20:], context: ctx, want: ErrMalformed},
		{name: "std alphabet", sealed: "v1." + ring.KeyID() + ".++++" + payload, context: ctx, want: ErrMalformed},
		{name: "too short", sealed: "v1." + ring.KeyID() + "." + payload[:36], context: ctx, want: ErrMalformed},
		{name: "plaintext", sealed: secret, context: ctx, want: ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ring.Open(tc.sealed, tc.context)
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("Open = %q, %v; want nil, %v", got, err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q contains the plaintext", err)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := newTestKey(t), newTestKey(t)
	oldRing := NewKeyring(oldKey)
	sealed := mustSeal(t, oldRing, []byte("s3cret"), "source:7:secret")

	rotated := NewKeyring(newKey, oldKey)
	got, err := rotated.Open(sealed, "source:7:secret")
	if err != nil || string(got) != "s3cret" {
		t.Fatalf("Open after rotation = %q (err %v), want %q", got, err, "s3cret")
	}
	if rotated.IsCurrent(sealed) || !oldRing.IsCurrent(sealed) {
		t.Fatalf("IsCurrent: rotated %v, old %v; want false, true", rotated.IsCurrent(sealed), oldRing.IsCurrent(sealed))
	}
	resealed := mustSeal(t, rotated, got, "source:7:secret")
	if !rotated.IsCurrent(resealed) || !strings.Contains(resealed, rotated.KeyID()) {
		t.Fatalf("resealed %q does not use the current key %s", resealed, rotated.KeyID())
	}
	if _, err := NewKeyring(newKey).Open(sealed, "source:7:secret"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Open after dropping the old key: err = %v, want %v", err, ErrUnknownKey)
	}
	if !bytes.Equal(rotated.Derive("p", 32), NewKeyring(newKey).Derive("p", 32)) {
		t.Fatal("Derive does not use the current key")
	}
}

func TestSealRequiresContext(t *testing.T) {
	if got, err := NewKeyring(newTestKey(t)).Seal([]byte("x"), ""); !errors.Is(err, ErrNoContext) || got != "" {
		t.Fatalf("Seal = %q, %v; want \"\", %v", got, err, ErrNoContext)
	}
}

func TestDerive(t *testing.T) {
	a, b := NewKeyring(Key{b: testKeyBytes}), NewKeyring(newTestKey(t))
	if got := hex.EncodeToString(a.Derive("session-jwt", 32)); got != knownDerived {
		t.Fatalf("Derive = %s, want %s", got, knownDerived)
	}
	if !bytes.Equal(a.Derive("session-jwt", 32), NewKeyring(Key{b: testKeyBytes}).Derive("session-jwt", 32)) {
		t.Fatal("Derive is not deterministic")
	}
	if bytes.Equal(a.Derive("session-jwt", 32), a.Derive("csrf", 32)) {
		t.Fatal("Derive gives the same bytes for two purposes")
	}
	if bytes.Equal(a.Derive("session-jwt", 32), b.Derive("session-jwt", 32)) {
		t.Fatal("Derive gives the same bytes for two keys")
	}
	for _, n := range []int{1, 16, 64, 8160} {
		if got := len(a.Derive("p", n)); got != n {
			t.Fatalf("len(Derive(p, %d)) = %d", n, got)
		}
	}
	for _, n := range []int{0, -1, 8161} {
		if !panics(func() { a.Derive("p", n) }) {
			t.Fatalf("Derive(p, %d) did not panic", n)
		}
	}
}

func TestNewKeyringZeroKeyPanics(t *testing.T) {
	if !panics(func() { NewKeyring(Key{}) }) || !panics(func() { NewKeyring(newTestKey(t), Key{}) }) {
		t.Fatal("NewKeyring accepted a zero Key")
	}
}

func FuzzOpen(f *testing.F) {
	ring := NewKeyring(Key{b: testKeyBytes})
	f.Add(knownSealed, knownContext)
	f.Add(knownSealed, "endpoint:43:auth")
	f.Add("v1.f72c4590.", "c")
	f.Add("v1.f72c4590.AAAA", "c")
	f.Add("v1..", "")
	f.Add("v1.zzzzzzzz.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "c")
	f.Fuzz(func(t *testing.T, sealed, context string) {
		got, err := ring.Open(sealed, context)
		if err != nil {
			if got != nil {
				t.Fatalf("Open returned %q with error %v", got, err)
			}
			return
		}
		if !ring.IsCurrent(sealed) {
			t.Fatalf("Open accepted %q, which does not name the current key", sealed)
		}
	})
}

func mustSeal(t testing.TB, ring *Keyring, plaintext []byte, context string) string {
	t.Helper()
	s, err := ring.Seal(plaintext, context)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// flipByte flips one bit of the decoded payload at index i (negative counts from the end).
func flipByte(t testing.TB, sealed string, i int) string {
	t.Helper()
	cut := strings.LastIndexByte(sealed, '.')
	b, err := base64.RawURLEncoding.DecodeString(sealed[cut+1:])
	if err != nil {
		t.Fatal(err)
	}
	if i < 0 {
		i += len(b)
	}
	b[i] ^= 0x01
	return sealed[:cut+1] + base64.RawURLEncoding.EncodeToString(b)
}

func panics(fn func()) (did bool) {
	defer func() { did = recover() != nil }()
	fn()
	return false
}
