package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/routing"
)

// ErrorClassErased is the error class of a delivery cancelled because its
// event was erased: recorded on the attempt that settles it (no request is
// made), like not-subscribed.
const ErrorClassErased = "erased"

// eraseInFlightWait bounds how long an erasure waits for delivery jobs of
// the erased events that were already running when it committed (the
// worker's own job timeout is at most 75 s).
const eraseInFlightWait = 90 * time.Second

// Eraser erases the personal data of interviews (a candidate's right to
// erasure). It needs no queue: the delivery worker reads events.erased_at
// with every load and settles the delivery instead of sending.
type Eraser struct {
	db   *gorm.DB
	now  func() time.Time
	poll time.Duration
	// committed, when set (tests), runs after an erasure commits and
	// before it looks for delivery jobs still running.
	committed func()
}

// NewEraser returns an eraser over db.
func NewEraser(db *gorm.DB) *Eraser {
	return &Eraser{db: db, now: time.Now, poll: 50 * time.Millisecond}
}

// Erasure is what erasing one meetingCode of one tenant did (or, in a dry
// run, would do): counts only, never the erased data.
type Erasure struct {
	MeetingCode string `json:"meeting_code"`
	// Events is how many events (every revision, type and source) were erased now.
	Events int `json:"events"`
	// AlreadyErased counts the events of the meetingCode erased before.
	AlreadyErased int `json:"already_erased"`
	// Deliveries is how many deliveries of those events lost their bodies;
	// Cancelled how many of them were still pending or held and are now
	// failed with class erased.
	Deliveries int `json:"deliveries"`
	Cancelled  int `json:"cancelled"`
	// Correlations is 1 when the meetingCode's correlation record was deleted.
	Correlations int `json:"correlations"`
	// RecordingLinks is how many recording links were revoked.
	RecordingLinks int `json:"recording_links"`
	// AuditEntries is how many audit entries of the correlation record
	// (correlation.put / .delete) lost the ATS ids they copied.
	AuditEntries int `json:"audit_entries"`
	// InFlight is how many delivery jobs were already running when the
	// erasure committed; it waited for them and scrubbed what they recorded.
	InFlight int `json:"in_flight"`
}

// interviewScope is the SQL condition selecting a tenant's events of one
// meetingCode: those routed to it, and the unrouted ones held for its
// sourceId or carrying no sourceId at all (deliver-held could attach
// either to it; a meetingCode names one Boooply interview).
const interviewScope = "meeting_code = ? AND (tenant_id = ? OR (tenant_id IS NULL AND (source_id = ? OR source_id IS NULL)))"

// tenantSource returns the tenant's sourceId, or problem.NotFound.
func tenantSource(ctx context.Context, db *gorm.DB, tenantID int64) (string, error) {
	var src []string
	if err := db.WithContext(ctx).Table("tenants").Where("id = ?", tenantID).Limit(1).Pluck("source_id", &src).Error; err != nil {
		return "", fmt.Errorf("find tenant %d: %w", tenantID, err)
	}
	if len(src) == 0 {
		return "", problem.NotFound("tenant")
	}
	return src[0], nil
}

// nameSpace is what MeetingCodesOfCandidate trims from both ends of the
// name asked for and of the names stored.
const nameSpace = " \t\n\r"

// MeetingCodesOfCandidate returns the meetingCodes of tenantID's events
// (routed, or held for its sourceId) whose stored candidate name equals
// name ignoring case (Unicode-aware on both databases, database.Lower) and
// spaces, tabs and line breaks around either, in order. Erased events and
// events past retention have no name left, so they never match. An empty name is a problem.Invalid on candidate_name.
func (e *Eraser) MeetingCodesOfCandidate(ctx context.Context, tenantID int64, name string) ([]string, error) {
	name = strings.Trim(name, nameSpace)
	if strings.TrimSpace(name) == "" {
		return nil, problem.Invalid("candidate_name", "must not be empty")
	}
	src, err := tenantSource(ctx, e.db, tenantID)
	if err != nil {
		return nil, err
	}
	q := e.db.WithContext(ctx).Model(&Event{})
	// The stored name is as Boooply sent it: spaces, tabs or line breaks
	// around it are not part of the name on either side.
	trim := "TRIM(candidate_name, ?)"
	if q.Dialector.Name() == "postgres" {
		trim = "BTRIM(candidate_name, ?)"
	}
	byName, nameArgs := database.AnyForm(name, database.Lower(q, trim)+" = "+database.Lower(q, "?"),
		func(v string) []any { return []any{nameSpace, v} })
	var codes []string
	err = q.Where("(tenant_id = ? OR (tenant_id IS NULL AND source_id = ?))", tenantID, src).
		Where(byName, nameArgs...).
		Distinct("meeting_code").Order("meeting_code").Limit(1000).Pluck("meeting_code", &codes).Error
	if err != nil {
		return nil, fmt.Errorf("find candidate's meetingCodes: %w", err)
	}
	return codes, nil
}

// Preview counts what EraseInterview would erase, writing nothing. A
// meetingCode with neither events nor a correlation record in the tenant
// is a problem.NotFound.
func (e *Eraser) Preview(ctx context.Context, tenantID int64, meetingCode string) (Erasure, error) {
	out := Erasure{MeetingCode: meetingCode}
	if strings.TrimSpace(meetingCode) == "" {
		return out, problem.Invalid("meeting_code", "must not be empty")
	}
	src, err := tenantSource(ctx, e.db, tenantID)
	if err != nil {
		return out, err
	}
	var evs []Event
	if err := e.db.WithContext(ctx).Select("id", "erased_at").Where(interviewScope, meetingCode, tenantID, src).Find(&evs).Error; err != nil {
		return out, fmt.Errorf("find events of %s: %w", meetingCode, err)
	}
	var corr int64
	if err := e.db.WithContext(ctx).Table("correlations").Where("tenant_id = ? AND meeting_code = ?", tenantID, meetingCode).Count(&corr).Error; err != nil {
		return out, fmt.Errorf("find correlation of %s: %w", meetingCode, err)
	}
	if len(evs) == 0 && corr == 0 {
		return out, problem.NotFound("interview")
	}
	out.Correlations = int(corr)
	audited, err := auth.CountErasableValues(e.db.WithContext(ctx), tenantID, routing.CorrelationAuditTarget(meetingCode), routing.CorrelationAuditActions...)
	if err != nil {
		return out, fmt.Errorf("find correlation audit entries of %s: %w", meetingCode, err)
	}
	out.AuditEntries = int(audited)
	for _, ev := range evs {
		if ev.ErasedAt != nil {
			out.AlreadyErased++
		} else {
			out.Events++
		}
	}
	return out, nil
}

// EraseInterview erases the personal data of one interview of tenantID:
// every event of meetingCode (every revision, type and source; unrouted ones
// held for the tenant's sourceId or without one are attached to the tenant)
// loses its body, candidate name and recording URL; their deliveries lose
// their mapped bodies, their attempts the response bodies and error texts;
// deliveries still pending or held fail with class erased and are never
// sent; the correlation record is deleted and recording links revoked. Ids,
// types, revisions, fingerprints, timestamps and statuses stay, so a
// redelivery of the same content stays a duplicate. by (an email, or
// "cli") is recorded. Erasing again is harmless. Errors as Preview.
//
// A delivery job already running when the erasure commits may have read
// the body before; the erasure waits for such jobs (at most
// eraseInFlightWait) and then scrubs again what they recorded. Jobs that
// load afterwards see erased_at and send nothing.
func (e *Eraser) EraseInterview(ctx context.Context, tenantID int64, meetingCode, by string) (Erasure, error) {
	out, err := e.Preview(ctx, tenantID, meetingCode)
	if err != nil {
		return out, err
	}
	src, err := tenantSource(ctx, e.db, tenantID)
	if err != nil {
		return out, err
	}
	now := e.now().UTC()
	note := fmt.Sprintf("erased on %s by %s", now.Format(time.RFC3339), by)
	var ids, deliveries []int64
	err = e.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Model(&Event{}).Where(interviewScope, meetingCode, tenantID, src)
		if tx.Dialector.Name() == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"}) // deliver-held skips locked rows
		}
		var evs []Event
		if err := q.Select("id", "erased_at").Order("id").Find(&evs).Error; err != nil {
			return fmt.Errorf("lock events: %w", err)
		}
		fresh := 0
		for _, ev := range evs {
			ids = append(ids, ev.ID)
			if ev.ErasedAt == nil {
				fresh++
			}
		}
		out.Events, out.AlreadyErased = fresh, len(evs)-fresh
		if len(ids) > 0 {
			if err := tx.Model(&Event{}).Where("id IN ? AND erased_at IS NULL", ids).Updates(map[string]any{
				"erased_at": now, "erased_by": by}).Error; err != nil {
				return fmt.Errorf("mark events erased: %w", err)
			}
			if err := tx.Model(&Event{}).Where("id IN ?", ids).Updates(map[string]any{"body": []byte{}, "candidate_name": "",
				"video_api_url": nil, "tenant_id": tenantID}).Error; err != nil {
				return fmt.Errorf("erase events: %w", err)
			}
			if err := tx.Model(&Delivery{}).Where("event_id IN ?", ids).Pluck("id", &deliveries).Error; err != nil {
				return fmt.Errorf("find deliveries: %w", err)
			}
			n, err := scrubDeliveries(tx, deliveries, note, now)
			if err != nil {
				return err
			}
			out.Deliveries, out.Cancelled = len(deliveries), n
			res := tx.Table("recording_links").Where("event_id IN ? AND revoked_at IS NULL", ids).Update("revoked_at", now)
			if res.Error != nil {
				return fmt.Errorf("revoke recording links: %w", res.Error)
			}
			out.RecordingLinks = int(res.RowsAffected)
		}
		res := tx.Exec("DELETE FROM correlations WHERE tenant_id = ? AND meeting_code = ?", tenantID, meetingCode)
		if res.Error != nil {
			return fmt.Errorf("delete correlation: %w", res.Error)
		}
		out.Correlations = int(res.RowsAffected)
		audited, err := auth.EraseValues(tx, tenantID, routing.CorrelationAuditTarget(meetingCode), routing.CorrelationAuditActions...)
		if err != nil {
			return fmt.Errorf("erase correlation audit values: %w", err)
		}
		out.AuditEntries = int(audited)
		return nil
	})
	if err != nil || len(deliveries) == 0 {
		return out, err
	}
	if e.committed != nil {
		e.committed()
	}
	return e.settleInFlight(ctx, out, deliveries, note)
}

// settleInFlight waits for the delivery jobs of deliveries that are
// running (they may have loaded the body before the erasure committed),
// then scrubs their deliveries again: an attempt they recorded loses its
// response body, and a delivery they set back to pending fails as erased.
// It scrubs again even when no job is running any more: a job that read
// the body before the commit may have recorded its attempt after it and
// finished before the count.
func (e *Eraser) settleInFlight(ctx context.Context, out Erasure, deliveries []int64, note string) (Erasure, error) {
	running, err := e.runningJobs(ctx, deliveries)
	if err != nil {
		return out, err
	}
	out.InFlight = int(running)
	wctx, cancel := context.WithTimeout(ctx, eraseInFlightWait)
	defer cancel()
	for running > 0 {
		select {
		case <-wctx.Done():
			running = 0 // scrub what there is; the worker's own check stops a later send
		case <-time.After(e.poll):
			if running, err = e.runningJobs(wctx, deliveries); err != nil && wctx.Err() == nil {
				return out, err
			}
		}
	}
	sctx, cancelScrub := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancelScrub()
	err = e.db.WithContext(sctx).Transaction(func(tx *gorm.DB) error {
		_, err := scrubDeliveries(tx, deliveries, note, e.now().UTC())
		return err
	})
	return out, err
}

// runningJobs counts the running River delivery jobs of deliveries.
func (e *Eraser) runningJobs(ctx context.Context, deliveries []int64) (int64, error) {
	db := e.db.WithContext(ctx)
	argID := "json_extract(args, '$.delivery_id')"
	if db.Dialector.Name() == "postgres" {
		argID = "(args->>'delivery_id')::bigint"
	}
	var n int64
	for chunk := range slices.Chunk(deliveries, 500) {
		var c int64
		err := db.Raw("SELECT COUNT(*) FROM river_job WHERE kind = ? AND state = ? AND "+argID+" IN ?",
			(DeliverArgs{}).Kind(), "running", chunk).Scan(&c).Error
		if err != nil {
			return 0, fmt.Errorf("count running delivery jobs: %w", err)
		}
		n += c
	}
	return n, nil
}

// scrubDeliveries removes the bodies and texts of deliveries (mapped body,
// attempts' response bodies and error texts, last_error), fails the ones
// still pending or held with class erased (an attempt recording it, no
// request made), and returns how many it failed. It can run again.
func scrubDeliveries(tx *gorm.DB, deliveries []int64, note string, now time.Time) (int, error) {
	cancelled := 0
	for chunk := range slices.Chunk(deliveries, 500) {
		if err := tx.Model(&Attempt{}).Where("delivery_id IN ? AND error_class <> ?", chunk, ErrorClassErased).
			Updates(map[string]any{"response_body": "", "error": ""}).Error; err != nil {
			return 0, fmt.Errorf("erase attempts: %w", err)
		}
		var open []Delivery
		if err := tx.Select("id", "tenant_id", "attempts").Where("id IN ? AND status IN ?", chunk,
			[]DeliveryStatus{DeliveryPending, DeliveryHeld}).Find(&open).Error; err != nil {
			return 0, fmt.Errorf("find open deliveries: %w", err)
		}
		for _, d := range open {
			a := Attempt{DeliveryID: d.ID, TenantID: d.TenantID, Number: d.Attempts + 1, StartedAt: now, ErrorClass: ErrorClassErased,
				Error: note, RequestHeaders: map[string]string{}, ResponseHeaders: map[string]string{}}
			if err := tx.Create(&a).Error; err != nil {
				return 0, fmt.Errorf("record erasure of delivery %d: %w", d.ID, err)
			}
			if err := tx.Model(&Delivery{}).Where("id = ?", d.ID).Updates(map[string]any{"status": DeliveryFailed,
				"attempts": a.Number, "next_attempt_at": nil, "updated_at": now}).Error; err != nil {
				return 0, fmt.Errorf("cancel delivery %d: %w", d.ID, err)
			}
		}
		cancelled += len(open)
		if err := tx.Model(&Delivery{}).Where("id IN ?", chunk).Updates(map[string]any{"mapped_body": nil,
			"payload_purged_at": gorm.Expr("COALESCE(payload_purged_at, ?)", now)}).Error; err != nil {
			return 0, fmt.Errorf("erase mapped bodies: %w", err)
		}
		if err := tx.Model(&Delivery{}).Where("id IN ? AND status <> ?", chunk, DeliveryDelivered).
			Update("last_error", note).Error; err != nil {
			return 0, fmt.Errorf("note erasure: %w", err)
		}
	}
	return cancelled, nil
}

// errErased is why the worker settles a delivery of an erased event.
var errErased = errors.New("the event's data was erased; it is never sent")
