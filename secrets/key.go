// Package secrets seals secrets at rest (endpoint tokens, signing secrets, inbound webhook secrets) and
// derives purpose-specific keys (session JWT signing, …) from the one operator key, SWITCHBOARD_SECRET_KEY.
//
// Losing the operator key makes every sealed value unreadable; changing it without keeping the old one in
// the Keyring does too. Nothing in this package logs, and no error it returns contains key bytes or plaintext.
package secrets

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// MinKeyBytes is the shortest key ParseKey accepts, after decoding.
	MinKeyBytes = 32
	// minDistinctBytes rejects keys that are obviously not random (a repeated word, "aaaa…"): 32 random
	// bytes hold about 30 distinct values, and fewer than 16 happens with probability below 1e-14.
	minDistinctBytes = 16
	// generatedKeyBytes is the size of a key made by GenerateKey.
	generatedKeyBytes = 32
	keyHint           = "want base64 or hex of at least 32 random bytes, e.g. the output of `openssl rand -base64 32`"
)

// Key is operator key material: at least MinKeyBytes bytes, made by ParseKey or LoadOrCreateKeyFile.
// The zero Key is unusable (NewKeyring panics on it). Printing a Key with any fmt verb shows only its ID.
type Key struct {
	b []byte
}

// ParseKey decodes operator key material. It accepts hex (a string of only hex digits) or base64, standard or
// URL alphabet, padded or not, with surrounding whitespace ignored. It returns an error if s is empty, decodes
// to fewer than MinKeyBytes bytes or is visibly not random; the error never contains s.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Key{}, errors.New("secret key is empty: " + keyHint)
	}
	b, err := decodeKey(s)
	if err != nil {
		return Key{}, err
	}
	if len(b) < MinKeyBytes {
		return Key{}, fmt.Errorf("secret key decodes to %d bytes: %s", len(b), keyHint)
	}
	if distinctBytes(b) < minDistinctBytes {
		return Key{}, errors.New("secret key does not look random (too many repeated bytes): " + keyHint)
	}
	return Key{b: b}, nil
}

// decodeKey reads a string of only hex digits as hex (so a truncated hex key is an error, not base64): a
// random base64 key is made only of hex digits with probability below 1e-19.
func decodeKey(s string) ([]byte, error) {
	if isHex(s) {
		if len(s)%2 != 0 {
			return nil, errors.New("secret key has an odd number of hex digits: " + keyHint)
		}
		return hex.DecodeString(s)
	}
	encodings := []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding}
	for _, enc := range encodings {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("secret key is neither hex nor base64: " + keyHint)
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func distinctBytes(b []byte) int {
	var seen [256]bool
	n := 0
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			n++
		}
	}
	return n
}

// GenerateKey returns a fresh key for first-run setup: 32 random bytes, base64url without padding. ParseKey
// accepts it.
func GenerateKey() (string, error) {
	b := make([]byte, generatedKeyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ID returns a short stable identifier of the key (8 hex digits of HMAC-SHA256(key, "kid")), safe to print,
// log and store. It is "" for the zero Key.
func (k Key) ID() string {
	if len(k.b) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, k.b)
	m.Write([]byte("kid"))
	return hex.EncodeToString(m.Sum(nil)[:4])
}

// String returns "secrets.Key(<id>)", never the key bytes.
func (k Key) String() string {
	return "secrets.Key(" + k.ID() + ")"
}

// Format prints String for every verb, so %x, %d or %#v cannot leak the key bytes.
func (k Key) Format(f fmt.State, _ rune) {
	io.WriteString(f, k.String())
}
