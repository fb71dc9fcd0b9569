package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"
)

// ReasonQueueGaveUp starts the last_error of a delivery whose queue job
// River discarded: every one of its tries ended in an error the worker could
// not record as an attempt (a database fault, a panic), so no round of
// retries can settle it any more.
const ReasonQueueGaveUp = "the delivery queue gave up"

// JobFailures is River's error handler for the delivery queue. River's own
// log lines for a failed job are below the server's log level, and a job it
// discards after its last try would otherwise leave its delivery pending
// for ever, with nothing left to run it: this logs each failure and, on the
// last try, fails the delivery visibly (retryable by hand, like any failed
// delivery).
type JobFailures struct {
	db  *gorm.DB
	log *slog.Logger
	now func() time.Time
}

// NewJobFailures returns the handler; set it as river.Config.ErrorHandler.
func NewJobFailures(db *gorm.DB, log *slog.Logger) *JobFailures {
	return &JobFailures{db: db, log: log, now: time.Now}
}

// HandleError is called by River after a job returned an error.
func (f *JobFailures) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	f.failed(ctx, job, err.Error(), "")
	return nil
}

// HandlePanic is called by River after a job panicked (River recovered it).
func (f *JobFailures) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	f.failed(ctx, job, fmt.Sprintf("panic: %v", panicVal), trace)
	return nil
}

func (f *JobFailures) failed(ctx context.Context, job *rivertype.JobRow, reason, trace string) {
	last := job.Attempt >= job.MaxAttempts // River discards the job after this
	log := f.log.With("job_id", job.ID, "job_kind", job.Kind, "try", job.Attempt, "max_tries", job.MaxAttempts, "error", reason)
	if trace != "" {
		log = log.With("trace", trace)
	}
	if job.Kind != (DeliverArgs{}).Kind() {
		log.Warn("A queue job failed.")
		return
	}
	var args DeliverArgs
	if err := json.Unmarshal(job.EncodedArgs, &args); err != nil || args.DeliveryID <= 0 {
		log.Error("A delivery job failed and its arguments don't name a delivery.", "args_error", err)
		return
	}
	log = log.With("delivery_id", args.DeliveryID)
	if !last {
		log.Warn("A delivery try could not be completed; the queue tries again.")
		return
	}
	msg := recordableText(fmt.Sprintf("%s after %d tries that could not be recorded; last: %s", ReasonQueueGaveUp, job.Attempt, reason))
	if len(msg) > 1000 {
		msg = recordableText(msg[:1000]) + "…"
	}
	marked, err := f.failPending(context.WithoutCancel(ctx), args.DeliveryID, msg)
	if err != nil {
		log.Error("The delivery queue gave up on a delivery and could not mark it failed; it stays pending.", "db_error", err)
		return
	}
	log.Error("The delivery queue gave up on a delivery; it is failed and can be retried by hand.", "marked_failed", marked)
}

// failPending fails delivery id with last_error msg if it is still pending.
func (f *JobFailures) failPending(ctx context.Context, id int64, msg string) (bool, error) {
	res := f.db.WithContext(ctx).Model(&Delivery{}).Where("id = ? AND status = ?", id, DeliveryPending).
		Updates(map[string]any{"status": DeliveryFailed, "last_error": msg, "next_attempt_at": nil, "updated_at": f.now().UTC()})
	return res.RowsAffected == 1, res.Error
}

// SweepDiscardedArgs is the periodic job that fails deliveries whose queue
// job River discarded without JobFailures marking them: River's rescuer
// discards a job stuck running past its last try without calling the error
// handler, and the handler's own update can fail.
type SweepDiscardedArgs struct{}

// Kind implements river.JobArgs.
func (SweepDiscardedArgs) Kind() string { return "sweep_discarded" }

// SweepDiscardedWorker runs SweepDiscarded.
type SweepDiscardedWorker struct {
	river.WorkerDefaults[SweepDiscardedArgs]
	failures *JobFailures
}

// NewSweepDiscardedWorker returns the worker.
func NewSweepDiscardedWorker(db *gorm.DB, log *slog.Logger) *SweepDiscardedWorker {
	return &SweepDiscardedWorker{failures: NewJobFailures(db, log)}
}

// Work sweeps once.
func (w *SweepDiscardedWorker) Work(ctx context.Context, _ *river.Job[SweepDiscardedArgs]) error {
	_, err := w.failures.SweepDiscarded(ctx)
	return err
}

// SweepDiscarded fails each pending delivery whose delivery job River
// discarded and that has no other job left to run it, and returns how many
// it failed. Discarded jobs are rare (River keeps them 7 days), so reading
// them all is cheap; the check for another live job reads only jobs not
// yet finished.
func (f *JobFailures) SweepDiscarded(ctx context.Context) (int, error) {
	db := f.db.WithContext(ctx)
	argID := "json_extract(args, '$.delivery_id')"
	if db.Dialector.Name() == "postgres" {
		argID = "(args->>'delivery_id')::bigint"
	}
	var ids []int64
	err := db.Raw("SELECT DISTINCT "+argID+" FROM river_job WHERE kind = ? AND state = ? LIMIT 1000",
		(DeliverArgs{}).Kind(), "discarded").Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	var pending []int64
	if err := db.Model(&Delivery{}).Where("id IN ? AND status = ?", ids, DeliveryPending).Pluck("id", &pending).Error; err != nil {
		return 0, err
	}
	failed := 0
	for _, id := range pending {
		var live int64
		err := db.Raw("SELECT COUNT(*) FROM river_job WHERE kind = ? AND state NOT IN ('completed', 'cancelled', 'discarded') AND "+argID+" = ?",
			(DeliverArgs{}).Kind(), id).Scan(&live).Error
		if err != nil {
			return failed, err
		}
		if live > 0 {
			continue
		}
		marked, err := f.failPending(ctx, id, ReasonQueueGaveUp+" (its job was discarded without a recorded outcome)")
		if err != nil {
			return failed, err
		}
		if marked {
			failed++
			f.log.Error("A pending delivery had no queue job left; it is failed and can be retried by hand.", "delivery_id", id)
		}
	}
	return failed, nil
}
