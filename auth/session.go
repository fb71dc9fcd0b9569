package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/secrets"
)

// Session lifetimes. A browser session's JWT lives SessionTTL and is renewed
// once past half of it, for at most MaxSession after sign-in; a script's
// token from POST /api/v1/auth/token lives ScriptTokenTTL and is not renewed.
const (
	SessionTTL     = 15 * time.Minute
	MaxSession     = 12 * time.Hour
	ScriptTokenTTL = time.Hour
	jwtIssuer      = "switchboard"
	jwtPurpose     = "session-jwt"
	csrfPurpose    = "csrf"
)

// Token kinds in the "knd" claim.
const (
	kindSession = "session" // browser cookie: renewable, needs CSRF on unsafe methods
	kindScript  = "script"  // Bearer from /auth/token
)

// Keys signs session JWTs with a key derived from the operator key and
// verifies them with the current or a previous one, chosen by the "kid" header.
type Keys struct {
	current string
	byKID   map[string][]byte
	csrf    []byte
}

// NewKeys derives the JWT keys from the operator keyring(s): current signs,
// previous ones (after a SWITCHBOARD_SECRET_KEY rotation) still verify.
func NewKeys(current *secrets.Keyring, previous ...*secrets.Keyring) *Keys {
	k := &Keys{current: current.KeyID(), byKID: map[string][]byte{}, csrf: current.Derive(csrfPurpose, 32)}
	for _, r := range append([]*secrets.Keyring{current}, previous...) {
		k.byKID[r.KeyID()] = r.Derive(jwtPurpose, 32)
	}
	return k
}

// sessionClaims are a Switchboard JWT's claims.
type sessionClaims struct {
	jwt.RegisteredClaims
	TokenVersion int    `json:"tv"`
	SessionID    string `json:"sid"`
	Started      int64  `json:"ast"` // sign-in time: renewal stops MaxSession after it
	Kind         string `json:"knd"`
}

func (c *sessionClaims) userID() int64 {
	id, _ := strconv.ParseInt(c.Subject, 10, 64)
	return id
}

// sign returns a signed HS256 JWT for u.
func (k *Keys) sign(u *User, kind, sid string, started, now time.Time, ttl time.Duration) (string, error) {
	c := sessionClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: jwtIssuer, Subject: strconv.FormatInt(u.ID, 10),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		TokenVersion: u.TokenVersion, SessionID: sid, Started: started.Unix(), Kind: kind,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = k.current
	s, err := t.SignedString(k.byKID[k.current])
	if err != nil {
		return "", fmt.Errorf("sign session: %w", err)
	}
	return s, nil
}

// parse verifies a JWT: HS256 only (no "none", no RS256 with the HMAC key as
// a public key), a known kid, our issuer, not expired. Every failure is the
// same problem.Unauthorized.
func (k *Keys) parse(tok string, now time.Time) (*sessionClaims, error) {
	var c sessionClaims
	_, err := jwt.ParseWithClaims(tok, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := k.byKID[kid]
		if !ok {
			return nil, fmt.Errorf("unknown kid %q", kid)
		}
		return key, nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(jwtIssuer), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithLeeway(5*time.Second))
	if err != nil || c.userID() <= 0 || (c.Kind != kindSession && c.Kind != kindScript) {
		return nil, problem.Unauthorized("invalid or expired session")
	}
	return &c, nil
}

// csrfToken is the CSRF token of session sid: an HMAC, so nothing is stored.
func (k *Keys) csrfToken(sid string) string {
	m := hmac.New(sha256.New, k.csrf)
	m.Write([]byte(sid))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (k *Keys) csrfValid(sid, got string) bool {
	return sid != "" && hmac.Equal([]byte(k.csrfToken(sid)), []byte(got))
}

func newSessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
