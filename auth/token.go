package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
)

// TokenPrefix starts every API token, so scanners and people recognise one.
const TokenPrefix = "sbt_"

// tokenTouchEvery throttles last_used_at writes: at most one per token per minute.
const tokenTouchEvery = time.Minute

// APIToken is a named credential for automation. Only its SHA-256 is stored;
// the token is shown once, when created.
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	TokenHash  string     `json:"-"`
	Hint       string     `json:"hint"` // "sbt_ab12…": enough to recognise, useless to use
	Role       Role       `json:"role"`
	TenantIDs  []int64    `json:"tenant_ids" gorm:"serializer:json"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// TableName is the table's name (GORM would guess "api_tokens" too, but says so here).
func (APIToken) TableName() string { return "api_tokens" }

// NewSecretToken returns a random token with prefix and its storage hash.
func NewSecretToken(prefix string) (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a random token: hex SHA-256 (no salt or
// stretching needed for 256 random bits).
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Effective returns the principal a token acts as: the token's role capped
// at its owner's current role, and the narrower of the two tenant scopes.
func (t *APIToken) Effective(owner *User) *Principal {
	p := owner.Principal()
	p.TokenID = t.ID
	if rank(t.Role) < rank(p.Role) {
		p.Role = t.Role
	}
	p.TenantIDs = intersectScope(p.TenantIDs, scopeOf(p.Role, t.TenantIDs))
	return p
}

// rank orders roles by power.
func rank(r Role) int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleSupport:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// intersectScope combines two scopes where nil means everything.
func intersectScope(a, b []int64) []int64 {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	out := []int64{}
	for _, id := range a {
		for _, o := range b {
			if id == o {
				out = append(out, id)
			}
		}
	}
	return out
}

// CreateToken inserts t (TokenHash and Hint set by the caller).
func (s *Store) CreateToken(ctx context.Context, t *APIToken) error {
	t.CreatedAt = s.now().UTC()
	if err := s.db.WithContext(ctx).Create(t).Error; err != nil {
		if database.IsUniqueViolation(err) {
			return problem.Conflict("token collision; try again")
		}
		return fmt.Errorf("insert api token: %w", err)
	}
	return nil
}

// FindTokenByHash returns the live token with hash, or problem.Unauthorized
// when it doesn't exist, was revoked or has expired.
func (s *Store) FindTokenByHash(ctx context.Context, hash string) (*APIToken, error) {
	var t APIToken
	err := s.db.WithContext(ctx).Where("token_hash = ? AND revoked_at IS NULL", hash).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.Unauthorized("invalid or revoked API token")
	} else if err != nil {
		return nil, fmt.Errorf("find api token: %w", err)
	}
	if t.ExpiresAt != nil && !s.now().Before(*t.ExpiresAt) {
		return nil, problem.Unauthorized("API token expired")
	}
	return &t, nil
}

// ListTokens returns the tokens of user userID, or of everyone when userID is 0, newest first.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]APIToken, error) {
	q := s.db.WithContext(ctx).Order("id DESC")
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	var out []APIToken
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes token id. With userID non-zero only that user's token
// is found; anything else is problem.NotFound. Revoking twice is harmless.
func (s *Store) RevokeToken(ctx context.Context, id, userID int64) (*APIToken, error) {
	q := s.db.WithContext(ctx).Where("id = ?", id)
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	var t APIToken
	if err := q.First(&t).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("token")
	} else if err != nil {
		return nil, fmt.Errorf("find api token %d: %w", id, err)
	}
	if t.RevokedAt == nil {
		now := s.now().UTC()
		t.RevokedAt = &now
		if err := s.db.WithContext(ctx).Model(&t).Update("revoked_at", now).Error; err != nil {
			return nil, fmt.Errorf("revoke api token %d: %w", id, err)
		}
	}
	return &t, nil
}

// TouchToken records that t was used, at most once per tokenTouchEvery.
func (s *Store) TouchToken(ctx context.Context, t *APIToken) error {
	now := s.now().UTC()
	if t.LastUsedAt != nil && now.Sub(*t.LastUsedAt) < tokenTouchEvery {
		return nil
	}
	if err := s.db.WithContext(ctx).Model(t).Update("last_used_at", now).Error; err != nil {
		return fmt.Errorf("touch api token %d: %w", t.ID, err)
	}
	return nil
}

// tokenHint keeps the prefix and four characters of a new token.
func tokenHint(token string) string {
	rest := strings.TrimPrefix(token, TokenPrefix)
	return TokenPrefix + rest[:4] + "…"
}
