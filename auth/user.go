package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/switchboard-gw/switchboard/problem"
)

// User is an account that signs in to the UI or the API.
type User struct {
	ID           int64      `json:"id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	PasswordHash string     `json:"-"`
	Role         Role       `json:"role"`
	Disabled     bool       `json:"disabled"`
	TenantIDs    []int64    `json:"tenant_ids" gorm:"serializer:json"` // nil: every tenant
	TokenVersion int        `json:"-"`
	LastLoginAt  *time.Time `json:"last_login_at"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Principal returns the caller the user is when signed in.
func (u *User) Principal() *Principal {
	return &Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, TenantIDs: scopeOf(u.Role, u.TenantIDs)}
}

// scopeOf drops a tenant list from an admin: admins are never limited.
func scopeOf(r Role, ids []int64) []int64 {
	if r == RoleAdmin {
		return nil
	}
	return ids
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 12

// NormalizeEmail lower-cases and trims an address, so lookups and the
// unique index agree on case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Validate checks the fields a caller may set; it returns problem.Invalid.
func (u *User) Validate() error {
	u.Email = NormalizeEmail(u.Email)
	u.Name = strings.TrimSpace(u.Name)
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
		return problem.Invalid("email", "is not an email address")
	}
	if !u.Role.Valid() {
		return problem.Invalid("role", "must be admin, support or viewer")
	}
	if len(u.Name) > 200 {
		return problem.Invalid("name", "is longer than 200 characters")
	}
	return validTenantIDs(u.Role, u.TenantIDs)
}

func validTenantIDs(r Role, ids []int64) error {
	if ids == nil {
		return nil
	}
	if r == RoleAdmin {
		return problem.Invalid("tenant_ids", "an admin cannot be limited to tenants")
	}
	if len(ids) == 0 {
		return problem.Invalid("tenant_ids", "name at least one tenant, or leave it out for every tenant")
	}
	for _, id := range ids {
		if id <= 0 {
			return problem.Invalid("tenant_ids", "must be positive tenant ids")
		}
	}
	return nil
}

// ValidatePassword checks a new password's length.
func ValidatePassword(pw string) error {
	if len([]rune(pw)) < MinPasswordLen {
		return problem.Invalid("password", fmt.Sprintf("must be at least %d characters", MinPasswordLen))
	}
	if len(pw) > 1024 {
		return problem.Invalid("password", "is longer than 1024 bytes")
	}
	return nil
}

// argon2id parameters: OWASP's 19 MiB, 2 passes, 1 lane (about 30 ms here).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash (constant-time compare). A
// malformed hash never matches.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// GeneratePassword returns a random 24-character password (for `users create`
// without --password-stdin and the API's create without a password).
func GeneratePassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
