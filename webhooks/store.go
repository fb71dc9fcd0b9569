package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
)

// Event is one accepted inbound webhook, stored once with its exact bytes.
// (SourceID, MeetingCode, EventType, Revision) is unique, a nil SourceID
// counting as one source (migration 00016); a re-fired event with new
// content is the next revision of its source's chain, a redelivery only
// bumps Duplicates.
type Event struct {
	ID              int64
	EventType       string
	MeetingCode     string
	SourceID        *string
	TenantID        *int64 // nil while unrouted
	Revision        int
	Fingerprint     string
	Body            []byte
	Duplicates      int
	LastDuplicateAt *time.Time
	ReceivedAt      time.Time
	// Recording events: the stable videoApiUrl and when the pre-signed
	// videoUrl expires. Mappings and the UI should prefer the stable link.
	VideoAPIURL       *string    `gorm:"column:video_api_url"`
	VideoURLExpiresAt *time.Time `gorm:"column:video_url_expires_at"`
	// CandidateName is data.candidateName, copied out at ingest so the UI
	// can filter by it without parsing bodies (CandidateName).
	CandidateName string
	// ErasedAt and ErasedBy say when and by whom the event's personal data
	// was erased (erase.go): the row stays, its body, candidate name and
	// recording URL are gone, and the worker never sends it. nil: not erased.
	ErasedAt *time.Time
	ErasedBy *string
}

// DeliveryStatus is a delivery's state: pending (waiting for its first or
// next attempt), or held (DeliveryHeld: its tenant is paused) until the
// tenant resumes, then delivered or failed (retries exhausted or a
// permanent error). A failed delivery can be retried by hand.
type DeliveryStatus string

// The delivery states.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryFailed    DeliveryStatus = "failed"
)

// deliveryStatuses is every state a delivery can be in, in lifecycle order:
// the API's and the CLI's status filter and the deliveries page accept these.
var deliveryStatuses = []DeliveryStatus{DeliveryPending, DeliveryHeld, DeliveryDelivered, DeliveryFailed}

// Valid reports whether s is a state a delivery can be in.
func (s DeliveryStatus) Valid() bool { return slices.Contains(deliveryStatuses, s) }

// DeliveryStatusNames lists the delivery states for messages and help
// ("pending, held, delivered or failed").
func DeliveryStatusNames() string {
	names := make([]string, len(deliveryStatuses))
	for i, s := range deliveryStatuses {
		names[i] = string(s)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Delivery is one event on its way to one endpoint. The deliveries and
// attempts tables are the record support reads; River only schedules.
type Delivery struct {
	ID             int64
	EventID        int64
	TenantID       int64
	EndpointID     int64
	Status         DeliveryStatus
	Attempts       int
	LastStatusCode *int
	LastError      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeliveredAt    *time.Time
	// MappingVersionID names the mapping version that shaped the last body sent.
	MappingVersionID *int64
	// MappedBody is the body sent when it differs from the event's (nil: the event body).
	MappedBody []byte
	// RoundStartAttempts and RoundStartedAt mark where the current round of
	// retries began (a manual retry, or the resume of a paused tenant,
	// starts a new one): the endpoint's attempt limit and max age count
	// from there.
	RoundStartAttempts int
	RoundStartedAt     *time.Time
	// PayloadPurgedAt is set once retention removed the bodies.
	PayloadPurgedAt *time.Time
	// NextAttemptAt is when a retry after a failed attempt is due (before
	// jitter); nil when none is scheduled.
	NextAttemptAt *time.Time
	// WebhookSeq and DeliveredBodySHA256 are the number of the webhook-id
	// the body was last sent under (delivered, or a failed try the receiver
	// may have accepted) and that body's hex SHA-256 (nil: none recorded);
	// messageOf derives the next request's webhook-id from them.
	WebhookSeq          int
	DeliveredBodySHA256 *string `gorm:"column:delivered_body_sha256"`
}

// Attempt is one HTTP try of a delivery.
type Attempt struct {
	ID           int64
	DeliveryID   int64
	TenantID     int64
	Number       int
	StartedAt    time.Time
	DurationMS   int `gorm:"column:duration_ms"`
	StatusCode   *int
	ErrorClass   string
	Error        string
	ResponseBody string
	// RequestHeaders are the headers sent, secrets redacted.
	RequestHeaders map[string]string `gorm:"serializer:json"`
	// ResponseHeaders are the selected headers of the answer.
	ResponseHeaders map[string]string `gorm:"serializer:json"`
}

// Store reads and writes events, deliveries and attempts.
type Store struct {
	db *gorm.DB
}

// NewStore returns a store over db.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

// EventFilter selects events for ListEvents. Unrouted keeps only events
// without a tenant. Revisions keeps only re-fired revisions (revision > 1:
// same source, meetingCode and event, different content). RevisionsOf
// keeps one event's chain. After is a keyset cursor: ids below it (newest
// first).
type EventFilter struct {
	// Scope is the caller's tenant scope (auth.Scope: nil means every
	// tenant and the unrouted events; a scope includes only the unrouted
	// events held for its tenants' sourceIds, tenants.ScopeEvents).
	Scope       []int64
	Unrouted    bool
	Duplicates  bool // only events redelivered at least once
	SourceID    string
	Revisions   bool
	RevisionsOf *EventChain
	MeetingCode string
	// Candidate matches events whose candidate name contains it, ignoring case.
	Candidate string
	EventType string
	After     int64
	Limit     int
}

// ListEvents returns events newest first, without their bodies, and the
// cursor of the next page (0 when this is the last).
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]Event, int64, error) {
	q := tenants.ScopeEvents(s.db.WithContext(ctx).Omit("body").Order("id DESC"), f.Scope)
	if f.Unrouted {
		q = q.Where("tenant_id IS NULL")
	}
	if f.Duplicates {
		q = q.Where("duplicates > 0")
	}
	if f.SourceID != "" {
		q = q.Where("source_id = ?", f.SourceID)
	}
	if f.Revisions {
		q = q.Where("revision > 1")
	}
	if c := f.RevisionsOf; c != nil {
		q = q.Where("meeting_code = ? AND event_type = ? AND COALESCE(source_id, '') = ?", c.MeetingCode, c.EventType, sourceKey(c.SourceID))
	}
	if f.MeetingCode != "" {
		q = q.Where("meeting_code = ?", f.MeetingCode)
	}
	if f.EventType != "" {
		q = q.Where("event_type = ?", f.EventType)
	}
	if f.Candidate != "" {
		cond, args := database.AnyForm(f.Candidate, database.Lower(q, "candidate_name")+" LIKE ? ESCAPE '\\'",
			func(v string) []any { return []any{likeContains(v)} })
		q = q.Where(cond, args...)
	}
	if f.After > 0 {
		q = q.Where("id < ?", f.After)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []Event
	if err := q.Limit(limit + 1).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list events: %w", err)
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// FindEventInScope is FindEvent for a caller with scope (auth.Scope): an
// event it may not see (tenants.ScopeEvents) is a problem.NotFound too.
func (s *Store) FindEventInScope(ctx context.Context, scope []int64, id int64) (*Event, error) {
	ev, err := s.FindEvent(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := tenants.EventVisible(ctx, s.db, scope, ev.TenantID, ev.SourceID)
	if err != nil {
		return nil, err
	} else if !ok {
		return nil, problem.NotFound("event")
	}
	return ev, nil
}

// FindEvent returns the event with id, body included, or problem.NotFound.
func (s *Store) FindEvent(ctx context.Context, id int64) (*Event, error) {
	var e Event
	err := s.db.WithContext(ctx).Where("id = ?", id).First(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("event")
	} else if err != nil {
		return nil, fmt.Errorf("find event %d: %w", id, err)
	}
	return &e, nil
}

// EventChain names one event across its revisions: its source (nil: the
// events without a sourceId), meetingCode and type.
type EventChain struct {
	SourceID    *string
	MeetingCode string
	EventType   string
}

// ChainOf is the chain e belongs to.
func ChainOf(e Event) EventChain {
	return EventChain{SourceID: e.SourceID, MeetingCode: e.MeetingCode, EventType: e.EventType}
}

// ListRevisions returns every revision of one event, oldest first, without
// bodies: what changed when an analysis re-ran. Another source's events of
// the same meetingCode are not among them.
func (s *Store) ListRevisions(ctx context.Context, c EventChain) ([]Event, error) {
	var out []Event
	err := s.db.WithContext(ctx).Omit("body").
		Where("meeting_code = ? AND event_type = ? AND COALESCE(source_id, '') = ?", c.MeetingCode, c.EventType, sourceKey(c.SourceID)).
		Order("revision").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list revisions of %s %s: %w", c.MeetingCode, c.EventType, err)
	}
	return out, nil
}

// ListDeliveries returns the deliveries of one event, oldest first.
func (s *Store) ListDeliveries(ctx context.Context, eventID int64) ([]Delivery, error) {
	var out []Delivery
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list deliveries of event %d: %w", eventID, err)
	}
	return out, nil
}

// ListAttempts returns a delivery's attempts in order.
func (s *Store) ListAttempts(ctx context.Context, deliveryID int64) ([]Attempt, error) {
	var out []Attempt
	if err := s.db.WithContext(ctx).Where("delivery_id = ?", deliveryID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list attempts of delivery %d: %w", deliveryID, err)
	}
	return out, nil
}
