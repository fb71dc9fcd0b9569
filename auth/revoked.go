package auth

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// revokedSession is a browser session ended by signing out: its JWT is
// refused until ExpiresAt, after which no copy of it can be valid anyway.
type revokedSession struct {
	SID       string `gorm:"column:sid;primaryKey"`
	ExpiresAt time.Time
}

// TableName is the table of ended sessions (migration 00015).
func (revokedSession) TableName() string { return "revoked_sessions" }

// RevokeSession ends session sid until until, and forgets sessions whose
// time has passed. Revoking twice is harmless.
func (s *Store) RevokeSession(ctx context.Context, sid string, until time.Time) error {
	db := s.db.WithContext(ctx)
	err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&revokedSession{SID: sid, ExpiresAt: until.UTC()}).Error
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	if err := db.Where("expires_at < ?", s.now().UTC()).Delete(&revokedSession{}).Error; err != nil {
		return fmt.Errorf("forget ended sessions: %w", err)
	}
	return nil
}

// SessionRevoked reports whether session sid was ended by signing out.
func (s *Store) SessionRevoked(ctx context.Context, sid string) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&revokedSession{}).Where("sid = ?", sid).Limit(1).Count(&n).Error; err != nil {
		return false, fmt.Errorf("check session: %w", err)
	}
	return n > 0, nil
}
