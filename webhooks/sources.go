package webhooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/tenants"
)

// Source is one Boooply platform account whose secrets sign inbound
// webhooks. Platform, when set, is the X-Boooply-Platform value that
// selects this source; sources without one are tried for every request that
// names no known platform, alongside BOOOPLY_WEBHOOK_SECRET.
type Source struct {
	ID        int64          `json:"id"`
	Name      string         `json:"name"`
	Platform  string         `json:"platform"`
	Enabled   bool           `json:"enabled"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	Secrets   []SourceSecret `json:"secrets" gorm:"-"`
}

// SourceSecret is one secret of a source. The plaintext is never stored or
// shown again after creation; Hint is its redacted form.
type SourceSecret struct {
	ID           int64      `json:"-"`
	SourceID     int64      `json:"-"`
	Number       int        `json:"number"`
	SecretSealed string     `json:"-"`
	Hint         string     `json:"hint"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"` // set when a newer secret replaced it
	CreatedAt    time.Time  `json:"created_at"`
}

// DefaultRotationOverlap is how long a replaced secret still verifies.
const DefaultRotationOverlap = 24 * time.Hour

// MaxRotationOverlap caps how long a replaced secret still verifies: the
// same month as endpoint signing secrets.
const MaxRotationOverlap = tenants.MaxSigningOverlap

// overlapFromSeconds turns overlap_seconds into a duration, checking the
// range first: multiplying first would overflow a huge value into a tiny or
// negative overlap.
func overlapFromSeconds(seconds int64) (time.Duration, error) {
	if seconds < 0 || seconds > int64(MaxRotationOverlap/time.Second) {
		return 0, overlapOutOfRange()
	}
	return time.Duration(seconds) * time.Second, nil
}

func overlapOutOfRange() error {
	return problem.Invalid("overlap_seconds", fmt.Sprintf("must be between 0 and %d (30 days)", int64(MaxRotationOverlap/time.Second)))
}

const (
	maxSourceName     = 200
	maxPlatform       = 100
	minSecretLen      = 16
	maxSecretLen      = 512
	generatedSecretSz = 32
)

// Validate trims and checks the source's own fields.
func (s *Source) Validate() error {
	s.Name, s.Platform = strings.TrimSpace(s.Name), strings.TrimSpace(s.Platform)
	switch {
	case s.Name == "":
		return problem.Invalid("name", "is required")
	case len(s.Name) > maxSourceName:
		return problem.Invalid("name", "is longer than 200 bytes")
	case len(s.Platform) > maxPlatform:
		return problem.Invalid("platform", "is longer than 100 bytes")
	}
	return nil
}

// newSecret returns plain, or a generated secret when plain is empty.
func newSecret(plain string) (string, error) {
	plain = strings.TrimSpace(plain)
	if plain == "" {
		return secrets.NewToken("whsec_", generatedSecretSz)
	}
	if len(plain) < minSecretLen || len(plain) > maxSecretLen {
		return "", problem.Invalid("secret", fmt.Sprintf("must be %d to %d bytes", minSecretLen, maxSecretLen))
	}
	return plain, nil
}

// SourceStore reads and writes sources and their sealed secrets.
type SourceStore struct {
	db      *gorm.DB
	keyring *secrets.Keyring
	now     func() time.Time
}

// NewSourceStore returns a store sealing secrets with keyring.
func NewSourceStore(db *gorm.DB, keyring *secrets.Keyring) *SourceStore {
	return &SourceStore{db: db, keyring: keyring, now: time.Now}
}

// CreateSource inserts s (validated first) with secret (generated when
// empty) as secret 1, and returns the plaintext secret: the only time it is
// shown. A taken platform value is a problem.Conflict.
func (st *SourceStore) CreateSource(ctx context.Context, s *Source, secret string) (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	plain, err := newSecret(secret)
	if err != nil {
		return "", err
	}
	now := st.now().UTC()
	s.Enabled, s.CreatedAt, s.UpdatedAt = true, now, now
	err = st.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(s).Error; err != nil {
			if database.IsUniqueViolation(err) {
				return problem.Conflict(fmt.Sprintf("a source with platform %q already exists", s.Platform))
			}
			return fmt.Errorf("insert source: %w", err)
		}
		return st.addSecret(tx, s.ID, 1, plain, now)
	})
	if err != nil {
		return "", err
	}
	return plain, st.loadSecrets(ctx, s)
}

func (st *SourceStore) addSecret(tx *gorm.DB, sourceID int64, n int, plain string, now time.Time) error {
	sealed, err := st.keyring.Seal([]byte(plain), SourceSecretContext(sourceID, n))
	if err != nil {
		return fmt.Errorf("seal source secret: %w", err)
	}
	row := SourceSecret{SourceID: sourceID, Number: n, SecretSealed: sealed, Hint: secrets.Redact(plain), CreatedAt: now}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("insert source secret: %w", err)
	}
	return nil
}

// RotateSecret adds a new secret (generated when empty) and lets every
// older unexpired one verify until overlap has passed, so Boooply's switch
// to the new secret rejects nothing. It returns the new plaintext, once; an
// overlap outside 0..MaxRotationOverlap is a problem.Invalid.
func (st *SourceStore) RotateSecret(ctx context.Context, id int64, secret string, overlap time.Duration) (string, error) {
	plain, err := newSecret(secret)
	if err != nil {
		return "", err
	}
	if overlap < 0 || overlap > MaxRotationOverlap {
		return "", overlapOutOfRange()
	}
	now := st.now().UTC()
	err = st.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Rotations of one source take their turn, so each reads the
		// number the previous one wrote.
		if err := database.LockRow(tx, "sources", id, database.LockForChange); err != nil {
			return err
		}
		if _, err := st.find(tx, id); err != nil {
			return err
		}
		var last int
		if err := tx.Model(&SourceSecret{}).Where("source_id = ?", id).Select("COALESCE(MAX(number), 0)").Scan(&last).Error; err != nil {
			return fmt.Errorf("last secret number: %w", err)
		}
		until := now.Add(overlap)
		if err := tx.Model(&SourceSecret{}).Where("source_id = ? AND (expires_at IS NULL OR expires_at > ?)", id, until).
			Update("expires_at", until).Error; err != nil {
			return fmt.Errorf("expire old secrets: %w", err)
		}
		return st.addSecret(tx, id, last+1, plain, now)
	})
	if err != nil {
		return "", err
	}
	return plain, nil
}

// DeleteSecret retires secret n of source id at once.
func (st *SourceStore) DeleteSecret(ctx context.Context, id int64, n int) error {
	res := st.db.WithContext(ctx).Where("source_id = ? AND number = ?", id, n).Delete(&SourceSecret{})
	if res.Error != nil {
		return fmt.Errorf("delete secret %d of source %d: %w", n, id, res.Error)
	}
	if res.RowsAffected == 0 {
		return problem.NotFound("source secret")
	}
	return nil
}

// SourceUpdate changes the fields that are set.
type SourceUpdate struct {
	Name     *string `json:"name"`
	Platform *string `json:"platform"`
	Enabled  *bool   `json:"enabled"`
}

// UpdateSource applies u to source id and returns it. The read and the
// write are one transaction, the row locked on PostgreSQL (SQLite's are
// serial), so concurrent updates of different fields all land.
func (st *SourceStore) UpdateSource(ctx context.Context, id int64, u SourceUpdate) (*Source, error) {
	var s *Source
	err := st.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := database.LockRow(tx, "sources", id, database.LockForChange); err != nil {
			return err
		}
		var err error
		if s, err = st.find(tx, id); err != nil {
			return err
		}
		if u.Name != nil {
			s.Name = *u.Name
		}
		if u.Platform != nil {
			s.Platform = *u.Platform
		}
		if u.Enabled != nil {
			s.Enabled = *u.Enabled
		}
		if err := s.Validate(); err != nil {
			return err
		}
		s.UpdatedAt = st.now().UTC()
		return tx.Model(&Source{}).Where("id = ?", id).Updates(map[string]any{
			"name": s.Name, "platform": s.Platform, "enabled": s.Enabled, "updated_at": s.UpdatedAt}).Error
	})
	if database.IsUniqueViolation(err) {
		return nil, problem.Conflict(fmt.Sprintf("a source with platform %q already exists", s.Platform))
	} else if err != nil {
		if _, ok := problem.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("update source %d: %w", id, err)
	}
	if err := st.loadSecrets(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// DeleteSource removes source id and its secrets.
func (st *SourceStore) DeleteSource(ctx context.Context, id int64) error {
	res := st.db.WithContext(ctx).Where("id = ?", id).Delete(&Source{})
	if res.Error != nil {
		return fmt.Errorf("delete source %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return problem.NotFound("source")
	}
	return st.db.WithContext(ctx).Where("source_id = ?", id).Delete(&SourceSecret{}).Error
}

// ListSources returns every source with its secrets' hints, oldest first.
func (st *SourceStore) ListSources(ctx context.Context) ([]Source, error) {
	var out []Source
	if err := st.db.WithContext(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	for i := range out {
		if err := st.loadSecrets(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FindSource returns source id with its secrets' hints, or problem.NotFound.
func (st *SourceStore) FindSource(ctx context.Context, id int64) (*Source, error) {
	s, err := st.find(st.db.WithContext(ctx), id)
	if err != nil {
		return nil, err
	}
	return s, st.loadSecrets(ctx, s)
}

func (st *SourceStore) find(db *gorm.DB, id int64) (*Source, error) {
	var s Source
	err := db.Where("id = ?", id).First(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("source")
	} else if err != nil {
		return nil, fmt.Errorf("find source %d: %w", id, err)
	}
	return &s, nil
}

func (st *SourceStore) loadSecrets(ctx context.Context, s *Source) error {
	s.Secrets = []SourceSecret{}
	if err := st.db.WithContext(ctx).Where("source_id = ?", s.ID).Order("number").Find(&s.Secrets).Error; err != nil {
		return fmt.Errorf("list secrets of source %d: %w", s.ID, err)
	}
	return nil
}
