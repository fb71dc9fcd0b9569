package webhooks

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Signature failures. Their messages name the reason class only, never which
// secret came close.
var (
	ErrMissingSignature = errors.New("missing signature")
	ErrBadSignature     = errors.New("bad signature")
	ErrMissingBearer    = errors.New("missing bearer token")
	ErrBadBearer        = errors.New("bad bearer token")
	ErrUnknownSource    = errors.New("unknown source")
	ErrNoSecret         = errors.New("no webhook secret is configured")
)

// BearerMode says what ingest does with `Authorization: Bearer <secret>`,
// which Boooply sends next to the signature.
type BearerMode string

// The bearer modes. Accepted (the default) checks the token when present;
// required refuses requests without it; ignored never looks at it.
const (
	BearerAccepted BearerMode = "accepted"
	BearerRequired BearerMode = "required"
	BearerIgnored  BearerMode = "ignored"
)

// ParseBearerMode returns the mode named s ("" is BearerAccepted).
func ParseBearerMode(s string) (BearerMode, error) {
	switch m := BearerMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return BearerAccepted, nil
	case BearerAccepted, BearerRequired, BearerIgnored:
		return m, nil
	}
	return "", fmt.Errorf("bearer mode %q: want required, accepted or ignored", s)
}

// VerifyWith checks X-Boooply-Signature (header), the hex HMAC-SHA256 of
// the exact request body keyed with any one of candidates (several are
// active while a secret rotates; Keys.Candidates picks them). It
// never re-encodes the payload: the signature is over the bytes as sent.
// Only when that fails and the body carries whitespace a proxy may have added
// does it also try the compact form of the same bytes (key order and escapes
// preserved).
func VerifyWith(candidates [][]byte, body []byte, header string) error {
	sig, ok := decodeSignature(header)
	if !ok {
		if strings.TrimSpace(header) == "" {
			return ErrMissingSignature
		}
		return ErrBadSignature
	}
	if len(candidates) == 0 {
		return ErrUnknownSource
	}
	if matches(candidates, body, sig) {
		return nil
	}
	var compact bytes.Buffer
	if json.Compact(&compact, body) == nil && compact.Len() != len(body) && matches(candidates, compact.Bytes(), sig) {
		return nil
	}
	return ErrBadSignature
}

// CheckBearer applies mode to the Authorization header value: when checked,
// the token must equal one of candidates (compared in constant time, every
// candidate tried).
func CheckBearer(mode BearerMode, candidates [][]byte, authorization string) error {
	if mode == BearerIgnored {
		return nil
	}
	if strings.TrimSpace(authorization) == "" {
		if mode == BearerRequired {
			return ErrMissingBearer
		}
		return nil
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ErrBadBearer
	}
	tok := []byte(strings.TrimSpace(token))
	found := 0
	for _, c := range candidates {
		found |= subtle.ConstantTimeCompare(tok, c)
	}
	if found != 1 {
		return ErrBadBearer
	}
	return nil
}

func matches(candidates [][]byte, body, sig []byte) bool {
	var sum [sha256.Size]byte
	found := false
	for _, secret := range candidates {
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
