package webhooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/routing"
)

// IngestStatus says what ingest did with an event.
type IngestStatus string

// Ingest statuses.
const (
	Accepted  IngestStatus = "accepted"  // stored as a new event or revision
	Duplicate IngestStatus = "duplicate" // same content seen before: counted, not forwarded again
)

// IngestResult reports the stored event.
type IngestResult struct {
	Status     IngestStatus `json:"status"`
	EventID    int64        `json:"event_id"`
	Revision   int          `json:"revision"`
	Routed     bool         `json:"routed"`
	Deliveries int          `json:"deliveries"`
}

// Service stores inbound events and schedules their deliveries.
type Service struct {
	db      *gorm.DB
	planner *routing.Planner
	queue   *river.Client[*sql.Tx]
	policy  RetryPolicy
	log     *slog.Logger
	now     func() time.Time
}

// NewService wires ingest. queue must have the delivery worker registered.
func NewService(db *gorm.DB, planner *routing.Planner, queue *river.Client[*sql.Tx], policy RetryPolicy, log *slog.Logger) *Service {
	return &Service{db: db, planner: planner, queue: queue, policy: policy, log: log, now: time.Now}
}

// errRaced means a concurrent ingest stored the same event or revision
// first; the whole transaction is retried and then sees it.
var errRaced = errors.New("concurrent ingest of the same event")

// Ingest stores in durably, deduplicated by (meetingCode, event, content),
// and, in the same transaction, creates one delivery and one River job per
// subscribed endpoint. When it returns nil the event is on disk.
func (s *Service) Ingest(ctx context.Context, in Inbound) (IngestResult, error) {
	for try := 0; ; try++ {
		res, err := s.ingestOnce(ctx, in)
		if errors.Is(err, errRaced) && try < 5 {
			continue
		}
		return res, err
	}
}

func (s *Service) ingestOnce(ctx context.Context, in Inbound) (IngestResult, error) {
	var res IngestResult
	now := s.now().UTC()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var prev []Event
		if err := tx.Select("id", "revision", "fingerprint").
			Where("meeting_code = ? AND event_type = ?", in.MeetingCode, in.Event).
			Order("revision").Find(&prev).Error; err != nil {
			return fmt.Errorf("look up earlier revisions: %w", err)
		}
		for _, p := range prev {
			if p.Fingerprint == in.Fingerprint {
				res = IngestResult{Status: Duplicate, EventID: p.ID, Revision: p.Revision}
				return tx.Model(&Event{}).Where("id = ?", p.ID).Updates(map[string]any{
					"duplicates": gorm.Expr("duplicates + 1"), "last_duplicate_at": now,
				}).Error
			}
		}
		plan, err := s.planner.Plan(ctx, tx, routing.Event{Type: in.Event, SourceID: in.SourceID, ForwardByDefault: forwardByDefault(in.Event)})
		if err != nil {
			return err
		}
		ev := Event{EventType: in.Event, MeetingCode: in.MeetingCode, SourceID: in.SourceID, TenantID: plan.TenantID,
			Revision: len(prev) + 1, Fingerprint: in.Fingerprint, Body: in.Body, ReceivedAt: now}
		if len(prev) > 0 {
			ev.Revision = prev[len(prev)-1].Revision + 1
		}
		if err := tx.Create(&ev).Error; err != nil {
			if database.IsUniqueViolation(err) {
				return errRaced
			}
			return fmt.Errorf("insert event: %w", err)
		}
		res = IngestResult{Status: Accepted, EventID: ev.ID, Revision: ev.Revision, Routed: plan.TenantID != nil}
		n, err := s.schedule(ctx, tx, ev, plan, now)
		res.Deliveries = n
		return err
	})
	if err != nil {
		return IngestResult{}, err
	}
	return res, nil
}

// schedule creates a delivery row and a River job for each endpoint in plan,
// inside tx: a crash can leave neither an event without its deliveries nor a
// job without its row.
func (s *Service) schedule(ctx context.Context, tx *gorm.DB, ev Event, plan routing.Plan, now time.Time) (int, error) {
	if len(plan.Endpoints) == 0 {
		return 0, nil
	}
	if plan.Held { // paused tenant: see held.go
		return s.hold(ctx, tx, ev, plan, now)
	}
	ds := make([]Delivery, len(plan.Endpoints))
	for i, ep := range plan.Endpoints {
		ds[i] = Delivery{EventID: ev.ID, TenantID: ep.TenantID, EndpointID: ep.ID, Status: DeliveryPending, CreatedAt: now, UpdatedAt: now}
	}
	if err := tx.Create(&ds).Error; err != nil {
		return 0, fmt.Errorf("insert deliveries: %w", err)
	}
	sqlTx, err := database.SQLTx(tx)
	if err != nil {
		return 0, err
	}
	params := make([]river.InsertManyParams, len(ds))
	for i, d := range ds {
		params[i] = river.InsertManyParams{Args: DeliverArgs{DeliveryID: d.ID}, InsertOpts: s.policy.insertOpts()}
	}
	if _, err := s.queue.InsertManyTx(ctx, sqlTx, params); err != nil {
		return 0, fmt.Errorf("enqueue deliveries: %w", err)
	}
	return len(ds), nil
}
