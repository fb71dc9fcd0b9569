package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

const (
	// MinTokenBytes is the fewest random bytes NewToken accepts.
	MinTokenBytes = 16
	// maxRedactPrefix bounds what Redact treats as a visible prefix such as "whsec_" or "sk_live_".
	maxRedactPrefix = 12
	// redactTailMin is the shortest secret part whose last 4 characters Redact shows.
	redactTailMin = 16
	redactTail    = 4
	redactMark    = "…"
)

// NewToken returns prefix followed by nBytes random bytes in standard, padded base64 (alphabet A–Z a–z 0–9
// + /, "=" padding), the encoding Standard Webhooks uses for "whsec_" secrets: NewToken("whsec_", 32).
// The result is not URL-safe; escape it before putting it in a URL. It returns an error if nBytes is below
// MinTokenBytes.
func NewToken(prefix string, nBytes int) (string, error) {
	if nBytes < MinTokenBytes {
		return "", fmt.Errorf("token of %d bytes: want at least %d", nBytes, MinTokenBytes)
	}
	b := make([]byte, nBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return prefix + base64.StdEncoding.EncodeToString(b), nil
}

// Redact returns a form of secret s safe for UI and logs: "" stays "", otherwise the prefix (a leading
// run of lower-case letters and digits ending in "_", at most 12 bytes, like "whsec_") is kept, the rest is
// replaced by "…", and its last 4 characters are shown only when the rest has at least 16:
// "whsec_MfKQ…Q1Xo" becomes "whsec_…Q1Xo", "hunter2" becomes "…". The result never equals s.
func Redact(s string) string {
	if s == "" {
		return ""
	}
	prefix := redactPrefix(s)
	rest := []rune(s[len(prefix):])
	if len(rest) < redactTailMin {
		return prefix + redactMark
	}
	return prefix + redactMark + string(rest[len(rest)-redactTail:])
}

// redactPrefix returns the longest leading "[a-z0-9]+_" run of segments within maxRedactPrefix bytes.
func redactPrefix(s string) string {
	end := 0
	for i := 0; i < len(s) && i < maxRedactPrefix; i++ {
		c := s[i]
		switch {
		case c == '_' && i > 0 && s[i-1] != '_':
			end = i + 1
		case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
		default:
			return s[:end]
		}
	}
	return s[:end]
}
