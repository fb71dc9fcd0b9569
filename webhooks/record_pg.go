package webhooks

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"gorm.io/gorm"
)

// placeholder matches PostgreSQL's numbered bind variables ($1, $2, …).
var placeholder = regexp.MustCompile(`\$(\d+)`)

// recordInOneStatement stores attempt a and the delivery's new state with
// one PostgreSQL statement: the INSERT runs as a data-modifying CTE of the
// UPDATE, so both commit together (a single statement is atomic) in one
// round trip instead of four (begin, insert, update, commit). GORM builds
// both halves (column names, JSON serializers) in dry-run mode; the UPDATE's
// placeholders are renumbered after the INSERT's. It sets a.ID.
//
// The statement's own commit doesn't wait for the WAL flush
// (synchronous_commit off for this transaction only): every delivery
// flushing its own commit was the bottleneck (sessions queued on
// WALWrite). It is still safe: WAL is flushed in order, and River marks
// the job completed in a later, synchronous commit, so a crash can lose
// this record only together with that completion; River then runs the job
// again and the endpoint may get the delivery twice, which at-least-once
// delivery allows already. Ingest commits stay synchronous (an ack means
// the event is on disk).
func recordInOneStatement(ctx context.Context, db *gorm.DB, a *Attempt, deliveryID int64, updates map[string]any) error {
	dry := db.Session(&gorm.Session{DryRun: true, SkipDefaultTransaction: true, NewDB: true})
	ins := dry.Create(a).Statement
	up := dry.Model(&Delivery{}).Where("id = ?", deliveryID).Updates(updates).Statement
	if ins.Error != nil || up.Error != nil {
		return fmt.Errorf("build attempt record: %w", firstErr(ins.Error, up.Error))
	}
	offset := len(ins.Vars)
	upSQL := placeholder.ReplaceAllStringFunc(up.SQL.String(), func(p string) string {
		n, _ := strconv.Atoi(p[1:])
		return "$" + strconv.Itoa(n+offset)
	})
	sql := "WITH a AS (" + ins.SQL.String() + ") " + upSQL +
		` RETURNING (SELECT id FROM a), set_config('synchronous_commit', 'off', true)`
	vars := append(append(make([]any, 0, offset+len(up.Vars)), ins.Vars...), up.Vars...)
	row := db.Statement.ConnPool.QueryRowContext(ctx, sql, vars...)
	var setting string
	if err := row.Scan(&a.ID, &setting); err != nil {
		return fmt.Errorf("record attempt of delivery %d: %w", deliveryID, err)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// healthUnchanged reports whether recording this outcome leaves the
// endpoint's breaker columns as they are (no statement needed).
func healthUnchanged(h *EndpointHealth, res sendResult, kind Kind) bool {
	if ourSide(res) {
		return true
	}
	return kind == Delivered && h.ConsecutiveFailures == 0 && h.FailingSince == nil && h.CircuitOpenUntil == nil
}

// ourSide reports whether an attempt failed before reaching the endpoint
// for a reason of ours, which says nothing about the endpoint's health.
func ourSide(res sendResult) bool {
	return res.status == 0 && (res.class == "config" || res.class == "mapping" || res.class == "correlation-missing" || res.class == "endpoint-disabled")
}
