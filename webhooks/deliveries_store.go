package webhooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
)

// DeliveryFilter selects deliveries for ListDeliveryRows. Scope is the
// caller's tenant scope (auth.Scope: nil means every tenant, empty means
// none); the other fields narrow further. After is a keyset cursor: ids
// below it, newest first.
type DeliveryFilter struct {
	Scope       []int64
	TenantID    int64
	EndpointID  int64
	EventType   string
	MeetingCode string
	// Candidate keeps events whose data.candidateName contains it, ignoring case.
	Candidate string
	Status    DeliveryStatus
	Since     time.Time // created at or after
	Until     time.Time // created before
	// ChangedSince keeps deliveries last updated at or after it (for
	// "what failed while the endpoint was down").
	ChangedSince time.Time
	After        int64
	Limit        int
}

// DeliveryRow is a delivery with what a list shows of its event and endpoint.
type DeliveryRow struct {
	Delivery
	EventType   string `json:"event_type"`
	MeetingCode string `json:"meeting_code"`
	Candidate   string `json:"candidate_name" gorm:"column:candidate_name"`
	Revision    int    `json:"revision"`
	EndpointURL string `json:"endpoint_url"`
	// ErasedAt and ErasedBy are the event's erasure (nil: not erased).
	ErasedAt *time.Time `json:"erased_at" gorm:"column:erased_at"`
	ErasedBy *string    `json:"erased_by" gorm:"column:erased_by"`
}

// DeliveryDetail is one delivery with its attempts and the body that was
// (or will be) sent: the mapped body when one is kept, else the event's.
type DeliveryDetail struct {
	DeliveryRow
	Body     []byte    `json:"-"`
	Attempts []Attempt `json:"attempts"`
}

func (f DeliveryFilter) apply(q *gorm.DB) *gorm.DB {
	if f.Scope != nil {
		q = q.Where("deliveries.tenant_id IN ?", append([]int64{0}, f.Scope...))
	}
	conds := []struct {
		on   bool
		sql  string
		args any
	}{
		{f.TenantID > 0, "deliveries.tenant_id = ?", f.TenantID},
		{f.EndpointID > 0, "deliveries.endpoint_id = ?", f.EndpointID},
		{f.EventType != "", "events.event_type = ?", f.EventType},
		{f.MeetingCode != "", "events.meeting_code = ?", f.MeetingCode},
		{f.Status != "", "deliveries.status = ?", f.Status},
		{!f.Since.IsZero(), "deliveries.created_at >= ?", f.Since.UTC()},
		{!f.Until.IsZero(), "deliveries.created_at < ?", f.Until.UTC()},
		{!f.ChangedSince.IsZero(), "deliveries.updated_at >= ?", f.ChangedSince.UTC()},
		{f.After > 0, "deliveries.id < ?", f.After},
	}
	for _, c := range conds {
		if c.on {
			q = q.Where(c.sql, c.args)
		}
	}
	if f.Candidate != "" {
		cond, args := database.AnyForm(f.Candidate, database.Lower(q, "events.candidate_name")+" LIKE ? ESCAPE '\\'",
			func(v string) []any { return []any{likeContains(v)} })
		q = q.Where(cond, args...)
	}
	return q
}

const deliveryRowColumns = "deliveries.id, deliveries.event_id, deliveries.tenant_id, deliveries.endpoint_id, deliveries.status, " +
	"deliveries.attempts, deliveries.last_status_code, deliveries.last_error, deliveries.created_at, deliveries.updated_at, " +
	"deliveries.delivered_at, deliveries.mapping_version_id, deliveries.round_start_attempts, deliveries.round_started_at, " +
	"deliveries.payload_purged_at, deliveries.next_attempt_at, events.event_type, events.meeting_code, events.candidate_name, events.revision, events.erased_at, events.erased_by, endpoints.url AS endpoint_url"

func (s *Store) deliveryRows(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("deliveries").Select(deliveryRowColumns).
		Joins("JOIN events ON events.id = deliveries.event_id").
		Joins("JOIN endpoints ON endpoints.id = deliveries.endpoint_id")
}

// Delivery list page sizes.
const (
	defaultDeliveryLimit = 100
	maxDeliveryLimit     = 500
)

// ListDeliveryRows returns deliveries newest first and the cursor of the
// next page (0 when this is the last).
func (s *Store) ListDeliveryRows(ctx context.Context, f DeliveryFilter) ([]DeliveryRow, int64, error) {
	limit := f.Limit
	if limit <= 0 || limit > maxDeliveryLimit {
		limit = defaultDeliveryLimit
	}
	var out []DeliveryRow
	if err := f.apply(s.deliveryRows(ctx)).Order("deliveries.id DESC").Limit(limit + 1).Scan(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list deliveries: %w", err)
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// FindDelivery returns delivery id with its attempts, or problem.NotFound
// (also when it is outside scope).
func (s *Store) FindDelivery(ctx context.Context, scope []int64, id int64) (*DeliveryDetail, error) {
	var rows []DeliveryRow
	err := DeliveryFilter{Scope: scope}.apply(s.deliveryRows(ctx)).Where("deliveries.id = ?", id).Limit(1).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find delivery %d: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, problem.NotFound("delivery")
	}
	d := &DeliveryDetail{DeliveryRow: rows[0]}
	var bodies struct {
		MappedBody []byte
		Body       []byte
	}
	err = s.db.WithContext(ctx).Table("deliveries").Select("deliveries.mapped_body, events.body").
		Joins("JOIN events ON events.id = deliveries.event_id").Where("deliveries.id = ?", id).Scan(&bodies).Error
	if err != nil {
		return nil, fmt.Errorf("load delivery %d body: %w", id, err)
	}
	d.Body = bodies.Body
	if bodies.MappedBody != nil {
		d.Body = bodies.MappedBody
	}
	if d.Attempts, err = s.ListAttempts(ctx, id); err != nil {
		return nil, err
	}
	return d, nil
}

// FindEndpointHealth returns the endpoint's health columns, or problem.NotFound.
func (s *Store) FindEndpointHealth(ctx context.Context, id int64) (*EndpointHealth, error) {
	var h EndpointHealth
	err := s.db.WithContext(ctx).Where("id = ?", id).First(&h).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("endpoint")
	} else if err != nil {
		return nil, fmt.Errorf("find endpoint %d: %w", id, err)
	}
	return &h, nil
}
