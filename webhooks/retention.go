package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"
)

// RetentionArgs is the periodic River job that purges old payloads.
type RetentionArgs struct{}

// Kind implements river.JobArgs.
func (RetentionArgs) Kind() string { return "retention" }

// RetentionWorker purges payload bodies older than its period: the event's
// raw body, the mapped body kept per delivery and the response bodies of
// attempts, and the candidate's name, the one personal field the event's
// row holds besides. Metadata (who, when, status, headers) is kept, and so
// is a recording's videoApiUrl (Boooply's URL of the meetingCode's
// recording: its stable link keeps working past retention). River's own
// finished jobs are cleaned by River (its retention periods, set in main).
type RetentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	db     *gorm.DB
	period time.Duration
	log    *slog.Logger
	now    func() time.Time
}

// NewRetentionWorker returns the worker; period <= 0 keeps payloads forever.
func NewRetentionWorker(db *gorm.DB, period time.Duration, log *slog.Logger) *RetentionWorker {
	return &RetentionWorker{db: db, period: period, log: log, now: time.Now}
}

// Work purges once.
func (w *RetentionWorker) Work(ctx context.Context, _ *river.Job[RetentionArgs]) error {
	n, err := PurgePayloads(ctx, w.db, w.now().UTC().Add(-w.period), w.now().UTC())
	if err != nil {
		return err
	}
	if n > 0 {
		w.log.Info("Purged old payloads.", "events", n)
	}
	return nil
}

// PurgePayloads empties the bodies of events received before cutoff whose
// deliveries are all settled, blanks their candidate name, with their deliveries' mapped bodies and attempts' response bodies,
// and returns how many events it purged. Events still to be delivered keep
// their body: pending or held deliveries, and unrouted events (held until
// their tenant exists; erasure removes them, see erase.go). An event purged before the name was blanked too (older
// versions) has its name blanked on the next run.
func PurgePayloads(ctx context.Context, db *gorm.DB, cutoff, now time.Time) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		old := tx.Model(&Event{}).Select("id").
			Where("received_at < ? AND (body <> ? OR candidate_name <> '')", cutoff, []byte{}).
			// Held events (unrouted, or for a paused tenant) are still to be
			// delivered: purging them would deliver empty bodies later.
			Where("tenant_id IS NOT NULL").
			Where("NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.status IN ?)",
				[]DeliveryStatus{DeliveryPending, DeliveryHeld})
		var ids []int64
		if err := old.Limit(5000).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("find old events: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		n = int64(len(ids))
		if err := tx.Model(&Event{}).Where("id IN ?", ids).Updates(map[string]any{"body": []byte{}, "candidate_name": ""}).Error; err != nil {
			return fmt.Errorf("purge event bodies: %w", err)
		}
		if err := tx.Model(&Delivery{}).Where("event_id IN ?", ids).
			Updates(map[string]any{"mapped_body": nil, "payload_purged_at": now}).Error; err != nil {
			return fmt.Errorf("purge mapped bodies: %w", err)
		}
		return tx.Model(&Attempt{}).Where("delivery_id IN (SELECT id FROM deliveries WHERE event_id IN ?)", ids).
			Update("response_body", "").Error
	})
	return n, err
}
