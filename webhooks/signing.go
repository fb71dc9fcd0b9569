package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// signingPrefix starts every Standard Webhooks secret; the rest is base64.
const signingPrefix = "whsec_"

// DecodeSigningSecret returns the key bytes of a "whsec_<base64>" secret,
// as the Standard Webhooks spec defines it. A secret without the prefix is
// taken as base64 too (some senders strip it).
func DecodeSigningSecret(secret string) ([]byte, error) {
	raw := strings.TrimPrefix(strings.TrimSpace(secret), signingPrefix)
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("signing secret is not whsec_<base64>: %w", err)
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("signing secret has %d bytes, want at least 16", len(key))
	}
	return key, nil
}

// Sign returns the Standard Webhooks signature "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>" for one key.
func Sign(key []byte, msgID string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignatureHeader is the webhook-signature value for every key, space
// separated: while a secret rotates, receivers holding either one verify.
func SignatureHeader(keys [][]byte, msgID string, timestamp int64, body []byte) string {
	sigs := make([]string, 0, len(keys))
	for _, k := range keys {
		sigs = append(sigs, Sign(k, msgID, timestamp, body))
	}
	return strings.Join(sigs, " ")
}
