package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
)

// MappingVersion is one immutable save of an endpoint's mapping. Number
// counts 1, 2, 3… per endpoint; the newest version is the current one.
type MappingVersion struct {
	ID         int64     `json:"id"`
	TenantID   int64     `json:"tenant_id"`
	EndpointID int64     `json:"endpoint_id"`
	Number     int       `json:"number"`
	Spec       string    `json:"-"`
	Author     string    `json:"author"`
	Comment    string    `json:"comment"`
	CreatedAt  time.Time `json:"created_at"`
}

// Mapping decodes the stored spec (validated when it was saved).
func (v *MappingVersion) Mapping() (*Mapping, error) {
	var m Mapping
	if err := json.Unmarshal([]byte(v.Spec), &m); err != nil {
		return nil, fmt.Errorf("mapping version %d: %w", v.ID, err)
	}
	return &m, nil
}

// Correlation is a tenant's record of one interview's ids in its ATS.
type Correlation struct {
	ID          int64             `json:"-"`
	TenantID    int64             `json:"tenant_id"`
	MeetingCode string            `json:"meeting_code"`
	Attributes  map[string]string `json:"attributes" gorm:"serializer:json"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// Store reads and writes mapping versions and correlation records. Every
// method takes the tenant id and never guesses it; callers check the
// caller's scope (auth.TenantParam).
type Store struct {
	db  *gorm.DB
	now func() time.Time
}

// NewStore returns a store over db.
func NewStore(db *gorm.DB) *Store { return &Store{db: db, now: time.Now} }

// checkEndpoint returns problem.NotFound unless endpoint belongs to tenant.
func checkEndpoint(ctx context.Context, db *gorm.DB, tenantID, endpointID int64) error {
	_, err := tenants.NewStore(db).FindEndpoint(ctx, tenantID, endpointID)
	return err
}

// CreateVersion validates m and stores it as the endpoint's next (and so
// current) version. Invalid mappings are problem.Invalid and never stored.
func (s *Store) CreateVersion(ctx context.Context, tenantID, endpointID int64, m *Mapping, author, comment string) (*MappingVersion, error) {
	if err := checkForSave(m); err != nil {
		return nil, err
	}
	v := &MappingVersion{TenantID: tenantID, EndpointID: endpointID, Spec: string(m.JSON()),
		Author: truncateText(author, 200), Comment: truncateText(comment, 2000), CreatedAt: s.now().UTC()}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Saves of one endpoint's mapping take turns, so each reads the
		// number the previous one wrote and none fails on (endpoint_id, number).
		if err := database.LockRow(tx, "endpoints", endpointID, database.LockForChange); err != nil {
			return err
		}
		if err := checkEndpoint(ctx, tx, tenantID, endpointID); err != nil {
			return err
		}
		var last int
		if err := tx.Model(&MappingVersion{}).Where("endpoint_id = ?", endpointID).
			Select("COALESCE(MAX(number), 0)").Scan(&last).Error; err != nil {
			return fmt.Errorf("next mapping version: %w", err)
		}
		v.Number = last + 1
		return tx.Create(v).Error
	})
	if database.IsUniqueViolation(err) {
		return nil, problem.Conflict("the mapping was saved concurrently; reload and try again")
	} else if err != nil {
		if _, ok := problem.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("create mapping version: %w", err)
	}
	return v, nil
}

func truncateText(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// ListVersions returns the endpoint's versions, newest first.
func (s *Store) ListVersions(ctx context.Context, tenantID, endpointID int64) ([]MappingVersion, error) {
	if err := checkEndpoint(ctx, s.db, tenantID, endpointID); err != nil {
		return nil, err
	}
	var out []MappingVersion
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND endpoint_id = ?", tenantID, endpointID).
		Order("number DESC").Limit(500).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list mapping versions: %w", err)
	}
	return out, nil
}

// FindVersion returns version number of the endpoint, or problem.NotFound.
func (s *Store) FindVersion(ctx context.Context, tenantID, endpointID int64, number int) (*MappingVersion, error) {
	return s.findVersion(ctx, s.db.WithContext(ctx).Where("number = ?", number), tenantID, endpointID)
}

// ErrNoMapping is CurrentVersion's answer for an endpoint without any
// mapping version (it passes events through); it is a problem.NotFound.
var ErrNoMapping = problem.NotFound("mapping version")

// CurrentVersion returns the endpoint's newest version, ErrNoMapping when
// it has none, or problem.NotFound when the endpoint isn't the tenant's.
func (s *Store) CurrentVersion(ctx context.Context, tenantID, endpointID int64) (*MappingVersion, error) {
	return s.findVersion(ctx, s.db.WithContext(ctx).Order("number DESC"), tenantID, endpointID)
}

func (s *Store) findVersion(ctx context.Context, q *gorm.DB, tenantID, endpointID int64) (*MappingVersion, error) {
	var v MappingVersion
	err := q.Where("tenant_id = ? AND endpoint_id = ?", tenantID, endpointID).First(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		if err := checkEndpoint(ctx, s.db, tenantID, endpointID); err != nil {
			return nil, err
		}
		return nil, ErrNoMapping
	} else if err != nil {
		return nil, fmt.Errorf("find mapping version: %w", err)
	}
	return &v, nil
}

// RestoreVersion stores a copy of version number as the new current version.
func (s *Store) RestoreVersion(ctx context.Context, tenantID, endpointID int64, number int, author string) (*MappingVersion, error) {
	old, err := s.FindVersion(ctx, tenantID, endpointID, number)
	if err != nil {
		return nil, err
	}
	m, err := old.Mapping()
	if err != nil {
		return nil, err
	}
	return s.CreateVersion(ctx, tenantID, endpointID, m, author, fmt.Sprintf("restored version %d", number))
}

// maxCorrelationAttrs bounds one correlation record.
const maxCorrelationAttrs = 50

// PutCorrelation creates or replaces the record of meetingCode.
func (s *Store) PutCorrelation(ctx context.Context, c *Correlation) error {
	if err := c.Validate(); err != nil {
		return err
	}
	now := s.now().UTC()
	c.CreatedAt, c.UpdatedAt = now, now
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "meeting_code"}},
		DoUpdates: clause.AssignmentColumns([]string{"attributes", "updated_at"}),
	}).Create(c).Error
	if err != nil {
		return fmt.Errorf("put correlation %s: %w", c.MeetingCode, err)
	}
	return nil
}

// maxBulkCorrelations bounds one bulk import.
const maxBulkCorrelations = 1000

// PutCorrelations creates or replaces many records of one tenant in one
// transaction: all are written or none (the first invalid one is named).
func (s *Store) PutCorrelations(ctx context.Context, tenantID int64, recs map[string]map[string]string) (int, error) {
	if len(recs) == 0 || len(recs) > maxBulkCorrelations {
		return 0, problem.Invalid("records", fmt.Sprintf("needs 1 to %d records", maxBulkCorrelations))
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		inTx := &Store{db: tx, now: s.now}
		for _, code := range sortedKeys(recs) {
			if err := inTx.PutCorrelation(ctx, &Correlation{TenantID: tenantID, MeetingCode: code, Attributes: recs[code]}); err != nil {
				if p, ok := problem.As(err); ok {
					return problem.Invalid("records."+code, p.Message)
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(recs), nil
}

// Validate checks a correlation record's fields.
func (c *Correlation) Validate() error {
	c.MeetingCode = strings.TrimSpace(c.MeetingCode)
	switch {
	case c.MeetingCode == "" || len(c.MeetingCode) > 200:
		return problem.Invalid("meeting_code", "is required, at most 200 bytes")
	case len(c.Attributes) == 0:
		return problem.Invalid("attributes", "needs at least one id (candidate_id, application_id…)")
	case len(c.Attributes) > maxCorrelationAttrs:
		return problem.Invalid("attributes", fmt.Sprintf("has more than %d entries", maxCorrelationAttrs))
	}
	for k, v := range c.Attributes {
		if _, err := parsePath(k, false); err != nil || strings.ContainsAny(k, ".[") || len(v) > 1000 {
			return problem.Invalid("attributes."+k, "names must be plain keys (candidate_id) and values at most 1000 bytes")
		}
	}
	return nil
}

// FindCorrelation returns the tenant's record for meetingCode, or problem.NotFound.
func (s *Store) FindCorrelation(ctx context.Context, tenantID int64, meetingCode string) (*Correlation, error) {
	return findCorrelation(ctx, s.db, tenantID, meetingCode)
}

func findCorrelation(ctx context.Context, db *gorm.DB, tenantID int64, meetingCode string) (*Correlation, error) {
	var c Correlation
	err := db.WithContext(ctx).Where("tenant_id = ? AND meeting_code = ?", tenantID, meetingCode).First(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("correlation")
	} else if err != nil {
		return nil, fmt.Errorf("find correlation %s: %w", meetingCode, err)
	}
	return &c, nil
}

// correlationOf is a CorrelationFunc over the store.
func (s *Store) correlationOf(ctx context.Context, tenantID int64, meetingCode string) (map[string]string, error) {
	rec, err := findCorrelation(ctx, s.db, tenantID, meetingCode)
	if p, ok := problem.As(err); ok && p.Code == problem.CodeNotFound {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return rec.Attributes, nil
}

// CorrelationFunc returns a CorrelationFunc reading this store (for previews outside the API).
func (s *Store) CorrelationFunc() CorrelationFunc { return s.correlationOf }

// DeleteCorrelation removes the record of meetingCode.
func (s *Store) DeleteCorrelation(ctx context.Context, tenantID int64, meetingCode string) error {
	res := s.db.WithContext(ctx).Where("tenant_id = ? AND meeting_code = ?", tenantID, meetingCode).Delete(&Correlation{})
	if res.Error != nil {
		return fmt.Errorf("delete correlation %s: %w", meetingCode, res.Error)
	}
	if res.RowsAffected == 0 {
		return problem.NotFound("correlation")
	}
	return nil
}
