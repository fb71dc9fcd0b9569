package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// sealVersion is the first field of every sealed value; a new format gets a new version.
	sealVersion = "v1"
	// sealSalt and sealInfo derive the AES-256 key of version v1. Derive uses a nil salt, so no purpose a
	// caller picks can reproduce the sealing key.
	sealSalt = "switchboard/secrets/seal"
	sealInfo = "v1 aes-256-gcm"
	kidLen   = 8
	// sealOverhead is the random 12-byte nonce plus the 16-byte GCM tag.
	sealOverhead = 12 + 16
	// maxDeriveBytes is HKDF-SHA256's limit, 255 blocks of 32 bytes.
	maxDeriveBytes = 255 * sha256.Size
)

var (
	// ErrMalformed is returned by Open when the value is not "v1.<kid>.<base64url>" of a plausible length.
	ErrMalformed = errors.New("secrets: malformed sealed value")
	// ErrUnknownKey is returned by Open when no key of the Keyring has the value's key ID: the key it was
	// sealed with was dropped from the Keyring (or never in it).
	ErrUnknownKey = errors.New("secrets: sealed with an unknown key")
	// ErrAuth is returned by Open when decryption fails: a different context (another row or field), a
	// tampered value, or another key with the same ID.
	ErrAuth = errors.New("secrets: sealed value failed authentication (wrong context or tampered)")
	// ErrNoContext is returned by Seal and Open for an empty context.
	ErrNoContext = errors.New("secrets: context is required")
)

// Keyring holds the current key, which Seal and Derive use, and previous keys that Open still accepts, for
// key rotation. It is safe for concurrent use.
type Keyring struct {
	keys []ringKey // keys[0] is current
}

type ringKey struct {
	key  Key
	kid  string
	aead cipher.AEAD
}

// NewKeyring returns a Keyring that seals with current and opens values sealed with current or any previous
// key. To rotate: make the new key current, pass the old one as previous, re-seal what IsCurrent reports as
// stale, then drop the old key. NewKeyring panics on a zero Key, which only a programming error produces.
func NewKeyring(current Key, previous ...Key) *Keyring {
	k := &Keyring{}
	for _, key := range append([]Key{current}, previous...) {
		if len(key.b) == 0 {
			panic("secrets: NewKeyring with a zero Key")
		}
		sealKey, err := hkdf.Key(sha256.New, key.b, []byte(sealSalt), sealInfo, 32)
		if err != nil {
			panic("secrets: derive seal key: " + err.Error())
		}
		block, err := aes.NewCipher(sealKey)
		if err != nil {
			panic("secrets: " + err.Error())
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			panic("secrets: " + err.Error())
		}
		k.keys = append(k.keys, ringKey{key: key, kid: key.ID(), aead: aead})
	}
	return k
}

// Derive returns n bytes derived from the current key with HKDF-SHA256 (nil salt, info = purpose). The
// result is deterministic, differs per purpose and per key, and changes when the current key rotates.
// Derive(p, 16) is a prefix of Derive(p, 32): use one length per purpose. It panics unless
// 1 <= n <= 8160 (a programming error).
func (k *Keyring) Derive(purpose string, n int) []byte {
	if n < 1 || n > maxDeriveBytes {
		panic(fmt.Sprintf("secrets: Derive length %d out of range 1..%d", n, maxDeriveBytes))
	}
	b, err := hkdf.Key(sha256.New, k.keys[0].key.b, nil, purpose, n)
	if err != nil {
		panic("secrets: derive: " + err.Error())
	}
	return b
}

// KeyID returns the ID of the current key (Key.ID): 8 hex digits, safe to print and store.
func (k *Keyring) KeyID() string {
	return k.keys[0].kid
}

// Seal encrypts plaintext with AES-256-GCM under a key derived from the current key, a random nonce and
// context as additional data, and returns "v1.<kid>.<base64url(nonce|ciphertext|tag)>" (URL- and
// column-safe ASCII, len(plaintext)*4/3 + 50 bytes or so). Open must be given the same context, so choose one
// that names the row and field ("endpoint:42:auth"): a value copied to another row then fails to open.
// The only error is ErrNoContext.
func (k *Keyring) Seal(plaintext []byte, context string) (string, error) {
	if context == "" {
		return "", ErrNoContext
	}
	cur := k.keys[0]
	ct := cur.aead.Seal(nil, nil, plaintext, []byte(context))
	return sealVersion + "." + cur.kid + "." + base64.RawURLEncoding.EncodeToString(ct), nil
}

// Open decrypts a value made by Seal with the current or a previous key. It returns ErrNoContext,
// ErrMalformed, ErrUnknownKey or ErrAuth (test with errors.Is); errors never contain the plaintext.
func (k *Keyring) Open(sealed string, context string) ([]byte, error) {
	if context == "" {
		return nil, ErrNoContext
	}
	kid, ct, err := parseSealed(sealed)
	if err != nil {
		return nil, err
	}
	found := false
	for _, rk := range k.keys {
		if rk.kid != kid {
			continue
		}
		found = true
		if pt, err := rk.aead.Open(nil, nil, ct, []byte(context)); err == nil {
			if pt == nil {
				pt = []byte{}
			}
			return pt, nil
		}
	}
	if !found {
		return nil, fmt.Errorf("%w (key id %s)", ErrUnknownKey, kid)
	}
	return nil, ErrAuth
}

// IsCurrent reports whether sealed names the current key, i.e. needs no re-sealing after a rotation. It
// does not authenticate the value; Open does.
func (k *Keyring) IsCurrent(sealed string) bool {
	kid, _, err := parseSealed(sealed)
	return err == nil && kid == k.keys[0].kid
}

// String describes the Keyring by key IDs only.
func (k *Keyring) String() string {
	return fmt.Sprintf("secrets.Keyring(current %s, %d previous)", k.keys[0].kid, len(k.keys)-1)
}

// Format prints String for every verb, so no verb can leak key bytes.
func (k *Keyring) Format(f fmt.State, _ rune) {
	io.WriteString(f, k.String())
}

// parseSealed splits "v1.<kid>.<payload>" strictly: lower-case hex kid, unpadded canonical base64url, no
// line breaks (which the base64 decoder would otherwise skip).
func parseSealed(sealed string) (kid string, ct []byte, err error) {
	version, rest, ok := strings.Cut(sealed, ".")
	if !ok || version != sealVersion {
		return "", nil, ErrMalformed
	}
	kid, payload, ok := strings.Cut(rest, ".")
	if !ok || len(kid) != kidLen || !isLowerHex(kid) || strings.ContainsAny(payload, "\r\n") {
		return "", nil, ErrMalformed
	}
	ct, err = base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil || len(ct) < sealOverhead {
		return "", nil, ErrMalformed
	}
	return kid, ct, nil
}

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
