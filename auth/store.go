package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
)

// Store reads and writes users, API tokens, setup tokens and the audit log.
type Store struct {
	db  *gorm.DB
	now func() time.Time
}

// NewStore returns a store over db.
func NewStore(db *gorm.DB) *Store { return &Store{db: db, now: time.Now} }

// CountUsers returns how many accounts exist (zero on first run).
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&User{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// CreateUser inserts u (validated by the caller, PasswordHash set). A taken
// email is a problem.Conflict.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	return createUser(s.db.WithContext(ctx), u, s.now().UTC())
}

func createUser(tx *gorm.DB, u *User, now time.Time) error {
	u.CreatedAt, u.UpdatedAt, u.TokenVersion = now, now, 1
	u.TenantIDs = scopeOf(u.Role, u.TenantIDs)
	// users_email_uq catches two emails in different case, but on a
	// PostgreSQL database whose locale folds only ASCII it tells "É" from
	// "é"; Lower folds them there too (under ICU), so a row written with
	// other capitals by hand is still the same account.
	var taken int64
	if err := tx.Model(&User{}).Where(database.Lower(tx, "email")+" = ?", NormalizeEmail(u.Email)).Count(&taken).Error; err != nil {
		return fmt.Errorf("check email: %w", err)
	}
	if taken > 0 {
		return errEmailTaken()
	}
	if err := tx.Create(u).Error; err != nil {
		if database.IsUniqueViolation(err) {
			return errEmailTaken()
		}
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

// errEmailTaken is the conflict of a new user whose email another user has.
// The field detail puts the message under the email field of the users page.
func errEmailTaken() error {
	return &problem.Error{Code: problem.CodeConflict, Message: "a user with this email already exists",
		Details: []problem.Detail{{Field: "email", Reason: "is taken by another user"}}}
}

// FindUser returns the user with id, or problem.NotFound.
func (s *Store) FindUser(ctx context.Context, id int64) (*User, error) {
	return s.findUser(ctx, "id = ?", id)
}

// FindUserByEmail returns the user with email (any case, beyond ASCII on
// both dialects), or problem.NotFound. The expression is users_email_uq's.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*User, error) {
	return s.findUser(ctx, database.Lower(s.db, "email")+" = ?", NormalizeEmail(email))
}

func (s *Store) findUser(ctx context.Context, where string, arg any) (*User, error) {
	var u User
	err := s.db.WithContext(ctx).Where(where, arg).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("user")
	} else if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return &u, nil
}

// ListUsers returns every user, oldest first.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	var out []User
	if err := s.db.WithContext(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UserUpdate names the fields to change; nil means "leave as is". A
// TenantIDs pointing at a nil slice lifts the tenant limit; for an admin
// (after the update) that is the only list accepted.
type UserUpdate struct {
	Name         *string
	Role         *Role
	TenantIDs    *[]int64
	Disabled     *bool
	PasswordHash *string
}

// UpdateUser applies up to user id and returns the user before and after.
// Really changing role, tenant scope or the disabled flag, or setting a
// password, bumps the token version, which signs the user out everywhere at
// once; sending the values the user already has signs no one out. A tenant
// list for an admin is a problem.Invalid; leaving no enabled admin is a
// problem.Conflict.
func (s *Store) UpdateUser(ctx context.Context, id int64, up UserUpdate) (before, after *User, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockUsers(tx, id, up.Role != nil || up.Disabled != nil); err != nil {
			return err
		}
		var u User
		if err := tx.Where("id = ?", id).First(&u).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return problem.NotFound("user")
		} else if err != nil {
			return fmt.Errorf("find user: %w", err)
		}
		b := u
		before = &b
		if applyUserUpdate(&u, up) {
			u.TokenVersion++
		}
		if err := u.Validate(); err != nil {
			return err
		}
		if err := keepOneAdmin(tx, before, &u); err != nil {
			return err
		}
		u.UpdatedAt = s.now().UTC()
		if err := tx.Select("*").Omit("created_at").Save(&u).Error; err != nil {
			return fmt.Errorf("update user %d: %w", id, err)
		}
		after = &u
		return nil
	})
	return before, after, err
}

// lockUsers makes changes of one user take turns on PostgreSQL (SQLite
// transactions are already serial), so a PATCH reads what the previous one
// wrote instead of saving every column back as it was. A change of role or
// disabled flag first locks every admin's row, in id order (no deadlock
// between two such changes): keepOneAdmin's count then can't be overtaken
// by a concurrent demotion of the other last admin.
func lockUsers(tx *gorm.DB, id int64, admins bool) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	var ids []int64
	if admins {
		if err := tx.Raw("SELECT id FROM users WHERE role = ? ORDER BY id FOR NO KEY UPDATE", RoleAdmin).Scan(&ids).Error; err != nil {
			return fmt.Errorf("lock admins: %w", err)
		}
	}
	return database.LockRow(tx, "users", id, database.LockForChange)
}

// applyUserUpdate changes u and reports whether its sessions must end: only
// when its role, tenant scope or disabled flag really changes, or a new
// password is set. A tenant list sent for an admin is kept, so Validate
// refuses it; an admin's old list (from before a promotion) is dropped.
func applyUserUpdate(u *User, up UserUpdate) (revoke bool) {
	before := *u
	if up.Name != nil {
		u.Name = *up.Name
	}
	if up.Role != nil {
		u.Role = *up.Role
	}
	if up.TenantIDs != nil {
		u.TenantIDs = *up.TenantIDs
	} else {
		u.TenantIDs = scopeOf(u.Role, u.TenantIDs)
	}
	if up.Disabled != nil {
		u.Disabled = *up.Disabled
	}
	if up.PasswordHash != nil {
		u.PasswordHash = *up.PasswordHash
	}
	return u.Role != before.Role || !sameScope(scopeOf(u.Role, u.TenantIDs), scopeOf(before.Role, before.TenantIDs)) ||
		u.Disabled != before.Disabled || up.PasswordHash != nil
}

// sameScope reports whether two tenant lists allow the same tenants (nil:
// every tenant), whatever their order or repeats.
func sameScope(a, b []int64) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	for _, id := range a {
		if !slices.Contains(b, id) {
			return false
		}
	}
	for _, id := range b {
		if !slices.Contains(a, id) {
			return false
		}
	}
	return true
}

func keepOneAdmin(tx *gorm.DB, before, after *User) error {
	wasAdmin := before.Role == RoleAdmin && !before.Disabled
	isAdmin := after.Role == RoleAdmin && !after.Disabled
	if !wasAdmin || isAdmin {
		return nil
	}
	var n int64
	err := tx.Model(&User{}).Where("role = ? AND disabled = ? AND id <> ?", RoleAdmin, false, after.ID).Count(&n).Error
	if err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	if n == 0 {
		return problem.Conflict("this is the last enabled admin; make another admin first")
	}
	return nil
}

// BumpTokenVersion ends every session of user id (logout everywhere).
func (s *Store) BumpTokenVersion(ctx context.Context, id int64) error {
	err := s.db.WithContext(ctx).Model(&User{}).Where("id = ?", id).
		Updates(map[string]any{"token_version": gorm.Expr("token_version + 1"), "updated_at": s.now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("bump token version of user %d: %w", id, err)
	}
	return nil
}

// RecordLogin sets the user's last login time.
func (s *Store) RecordLogin(ctx context.Context, id int64) error {
	err := s.db.WithContext(ctx).Model(&User{}).Where("id = ?", id).Update("last_login_at", s.now().UTC()).Error
	if err != nil {
		return fmt.Errorf("record login of user %d: %w", id, err)
	}
	return nil
}
