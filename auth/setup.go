package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
)

// SetupTokenTTL is how long the first-run setup link works.
const SetupTokenTTL = time.Hour

// setupPrefix starts setup tokens so they are recognisable in a URL.
const setupPrefix = "sbs_"

// setupToken is a one-time token that creates the first admin. Only its hash is stored.
type setupToken struct {
	ID        int64
	TokenHash string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

func (setupToken) TableName() string { return "setup_tokens" }

// errSetupToken is the one answer to a bad, used or expired setup token.
var errSetupToken = problem.Unauthorized("setup link is invalid, used or expired; restart Switchboard for a new one")

// BootstrapAdmin prepares the first account on a database with no users:
// with email and password (SWITCHBOARD_ADMIN_EMAIL/_PASSWORD) it creates the
// admin and returns ""; without, it returns a fresh one-time setup token
// (valid SetupTokenTTL) for the /setup link. With users present it does
// nothing and returns "".
func (s *Service) BootstrapAdmin(ctx context.Context, email, password string) (link string, err error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	if email != "" || password != "" {
		_, err := s.CreateUser(ctx, &User{Email: email, Name: "Administrator", Role: RoleAdmin}, password)
		if p, ok := problem.As(err); ok && p.Code == problem.CodeConflict {
			return "", nil // another replica starting at the same moment created it
		}
		if err != nil {
			return "", fmt.Errorf("SWITCHBOARD_ADMIN_EMAIL/SWITCHBOARD_ADMIN_PASSWORD: %w", err)
		}
		return "", s.store.Record(ctx, &Entry{Action: "user.create", Actor: "system", Target: NormalizeEmail(email)})
	}
	tok, hash := NewSecretToken(setupPrefix)
	now := s.now().UTC()
	row := &setupToken{TokenHash: hash, ExpiresAt: now.Add(SetupTokenTTL), CreatedAt: now}
	if err := s.store.db.WithContext(ctx).Create(row).Error; err != nil {
		return "", fmt.Errorf("store setup token: %w", err)
	}
	return tok, nil
}

// CreateUser validates u and password, hashes the password and inserts u.
func (s *Service) CreateUser(ctx context.Context, u *User, password string) (*User, error) {
	return s.store.CreateUserWithPassword(ctx, u, password)
}

// CreateUserWithPassword validates u and password, hashes the password and
// inserts u: problem.Invalid for bad input, problem.Conflict for a taken email.
func (s *Store) CreateUserWithPassword(ctx context.Context, u *User, password string) (*User, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := ValidatePassword(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	u.PasswordHash = hash
	return u, s.CreateUser(ctx, u)
}

// CheckSetupToken reports whether token is a live setup token (the setup
// page calls it before showing the form).
func (s *Service) CheckSetupToken(ctx context.Context, token string) error {
	_, err := s.findSetupToken(s.store.db.WithContext(ctx), token)
	return err
}

// CompleteSetup creates the first admin with token from the setup link. It
// fails with the same 401 for an unknown, used or expired token, and with a
// 409 once any user exists. The token is spent in the same transaction.
func (s *Service) CompleteSetup(ctx context.Context, token string, u *User, password string) (*User, error) {
	u.Role, u.TenantIDs = RoleAdmin, nil
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := ValidatePassword(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	u.PasswordHash = hash
	err = s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := s.findSetupToken(tx, token)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&User{}).Count(&n).Error; err != nil {
			return fmt.Errorf("count users: %w", err)
		}
		if n > 0 {
			return problem.Conflict("setup is already done; sign in instead")
		}
		now := s.now().UTC()
		if err := tx.Model(row).Update("used_at", now).Error; err != nil {
			return fmt.Errorf("spend setup token: %w", err)
		}
		return createUser(tx, u, now)
	})
	if err != nil {
		return nil, err
	}
	return u, s.store.Record(ctx, &Entry{Action: "user.create", Actor: u.Email, ActorID: &u.ID, Target: "user:" + itoa(u.ID)})
}

func (s *Service) findSetupToken(tx *gorm.DB, token string) (*setupToken, error) {
	var row setupToken
	err := tx.Where("token_hash = ? AND used_at IS NULL", HashToken(token)).First(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errSetupToken
	} else if err != nil {
		return nil, fmt.Errorf("find setup token: %w", err)
	}
	if !s.now().Before(row.ExpiresAt) {
		return nil, errSetupToken
	}
	return &row, nil
}
