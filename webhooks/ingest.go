package webhooks

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

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
	batch   *batcher // nil: one transaction per event
	// admission, when set, is the webhook handler's push-back (admission.go).
	admission *Admission
}

// NewService wires ingest. queue must have the delivery worker registered.
func NewService(db *gorm.DB, planner *routing.Planner, queue *river.Client[*sql.Tx], policy RetryPolicy, log *slog.Logger) *Service {
	return &Service{db: db, planner: planner, queue: queue, policy: policy, log: log, now: time.Now}
}

// errRaced means a concurrent ingest stored the same event or revision
// first; the whole transaction is retried and then sees it.
var errRaced = errors.New("concurrent ingest of the same event")

// maxRaceRetries bounds the retries of one event that keeps losing races.
const maxRaceRetries = 5

// Ingest stores in durably, deduplicated by (sourceId, meetingCode, event, content),
// and, in the same transaction, creates one delivery and one River job per
// subscribed endpoint. When it returns nil the event is on disk. With
// batching on, concurrent calls share commits.
func (s *Service) Ingest(ctx context.Context, in Inbound) (IngestResult, error) {
	if s.batch != nil {
		if res, err, ok := s.batch.submit(ctx, in); ok {
			return res, err
		}
	}
	return s.ingestSingle(ctx, in)
}

// ingestSingle runs one event in its own transaction, retrying lost races.
func (s *Service) ingestSingle(ctx context.Context, in Inbound) (IngestResult, error) {
	for try := 0; ; try++ {
		var res []IngestResult
		started := time.Now()
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			res, err = s.ingestTx(ctx, tx, []Inbound{in}, s.now().UTC())
			return err
		})
		observeCommit(started)
		if errors.Is(err, errRaced) && try < maxRaceRetries {
			continue
		}
		if err != nil {
			return IngestResult{}, err
		}
		return res[0], nil
	}
}

// newEvent is the row of a first-seen event (revision 1 unless the caller
// finds earlier ones).
func newEvent(in Inbound, plan routing.Plan, now time.Time) Event {
	ev := Event{EventType: in.Event, MeetingCode: in.MeetingCode, SourceID: in.SourceID, TenantID: plan.TenantID,
		Revision: 1, Fingerprint: in.Fingerprint, Body: in.Body, ReceivedAt: now,
		VideoAPIURL: in.VideoAPIURL, VideoURLExpiresAt: in.VideoURLExpiresAt, CandidateName: CandidateName(in.Body)}
	if in.Event == eventRecording && ev.VideoURLExpiresAt == nil {
		exp := now.Add(presignedLifetime)
		ev.VideoURLExpiresAt = &exp
	}
	return ev
}

// deliveriesFor appends to ds one delivery of ev per endpoint in plan,
// leaving out endpoints that opted out of revisions when ev is one. They are
// pending, or held when the plan says the tenant is paused (see held.go).
func deliveriesFor(ds []Delivery, ev Event, plan routing.Plan, now time.Time) []Delivery {
	status := DeliveryPending
	if plan.Held {
		status = DeliveryHeld
	}
	for _, ep := range plan.Endpoints {
		if ep.SkipRevisions && ev.Revision > 1 {
			continue // this endpoint wants each event once, not its re-runs
		}
		ds = append(ds, Delivery{EventID: ev.ID, TenantID: ep.TenantID, EndpointID: ep.ID, Status: status, CreatedAt: now, UpdatedAt: now})
	}
	return ds
}

// enqueuePending inserts the River jobs of the pending deliveries in ds, in
// tx (one statement for all); held ones wait for their tenant's resume.
func (s *Service) enqueuePending(ctx context.Context, tx *gorm.DB, ds []Delivery) error {
	ids := make([]int64, 0, len(ds))
	for _, d := range ds {
		if d.Status == DeliveryPending {
			ids = append(ids, d.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return s.enqueue(ctx, tx, ids)
}
