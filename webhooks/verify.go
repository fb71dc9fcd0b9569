package webhooks

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
)

// Signature failures. Their messages name the reason class only, never which
// secret came close.
var (
	ErrMissingSignature = errors.New("missing signature")
	ErrBadSignature     = errors.New("bad signature")
	ErrNoSecret         = errors.New("no webhook secret is configured")
)

// Verifier checks X-Boooply-Signature: the hex HMAC-SHA256 of the exact
// request body, keyed with any one of the active secrets (several are active
// while a secret rotates).
type Verifier struct {
	secrets [][]byte
}

// NewVerifier returns a verifier for the given secrets; empty ones are ignored.
func NewVerifier(secrets []string) *Verifier {
	v := &Verifier{}
	for _, s := range secrets {
		if s = strings.TrimSpace(s); s != "" {
			v.secrets = append(v.secrets, []byte(s))
		}
	}
	return v
}

// Configured reports whether any secret is set; without one every event is refused.
func (v *Verifier) Configured() bool { return len(v.secrets) > 0 }

// Verify checks header against body. It never re-encodes the payload: the
// signature is over the bytes as sent. Only when that fails and the body
// carries whitespace a proxy may have added does it also try the compact form
// of the same bytes (key order and escapes preserved).
func (v *Verifier) Verify(body []byte, header string) error {
	if !v.Configured() {
		return ErrNoSecret
	}
	sig, ok := decodeSignature(header)
	if !ok {
		if strings.TrimSpace(header) == "" {
			return ErrMissingSignature
		}
		return ErrBadSignature
	}
	if v.matches(body, sig) {
		return nil
	}
	var compact bytes.Buffer
	if json.Compact(&compact, body) == nil && compact.Len() != len(body) && v.matches(compact.Bytes(), sig) {
		return nil
	}
	return ErrBadSignature
}

func (v *Verifier) matches(body, sig []byte) bool {
	var sum [sha256.Size]byte
	found := false
	for _, secret := range v.secrets {
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		// Every secret is tried, so timing says nothing about which one matched.
		if hmac.Equal(m.Sum(sum[:0]), sig) {
			found = true
		}
	}
	return found
}

// decodeSignature accepts hex in either case, optionally prefixed "sha256=".
func decodeSignature(header string) ([]byte, bool) {
	h := strings.TrimSpace(header)
	h = strings.TrimPrefix(h, "sha256=")
	if len(h) != hex.EncodedLen(sha256.Size) {
		return nil, false
	}
	sig, err := hex.DecodeString(h)
	return sig, err == nil
}
