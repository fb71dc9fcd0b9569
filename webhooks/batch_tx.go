package webhooks

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/routing"
)

// eventKey identifies an event across its revisions: its source (data.sourceId,
// "" when absent), meetingCode and event type. The source keeps one
// organization's events out of another's chain: a tenant's own secret signs
// only its sourceId, whatever meetingCode it names.
type eventKey struct{ source, code, event string }

// keyOf is the eventKey of an inbound event.
func keyOf(in Inbound) eventKey {
	return eventKey{sourceKey(in.SourceID), in.MeetingCode, in.Event}
}

// sourceKey is a sourceId as the events' unique indexes see it (they
// coalesce NULL to the empty string): absent is one scope of its own.
func sourceKey(id *string) string {
	if id == nil {
		return ""
	}
	return *id
}

// batchEntry is one request of a group commit: the event it matched or
// created, and what it answers.
type batchEntry struct {
	ev     *Event
	status IngestStatus
	plan   routing.Plan
}

// ingestTx stores events inside tx (one, or a whole group commit) with a
// fixed number of statements however many there are: one read of earlier
// revisions, one insert of the new events and their deliveries (two on
// SQLite), one of their River jobs, and one update per original that got
// duplicates. Dedupe and revision numbering run in memory in arrival
// order, so copies inside the batch are duplicates and re-runs are
// revisions; the unique constraints still guard against other replicas
// (errRaced).
func (s *Service) ingestTx(ctx context.Context, tx *gorm.DB, ins []Inbound, now time.Time) ([]IngestResult, error) {
	known, err := loadRevisions(ctx, tx, ins)
	if err != nil {
		return nil, err
	}
	return s.storeBatch(ctx, tx, ins, known, now)
}

// storeBatch is ingestTx once the earlier revisions (known) are read.
func (s *Service) storeBatch(ctx context.Context, tx *gorm.DB, ins []Inbound, known map[eventKey][]*Event, now time.Time) ([]IngestResult, error) {
	bc := &batchTx{plans: map[string]routing.Plan{}}
	entries := make([]batchEntry, len(ins))
	var fresh []*Event
	dupes := map[int64]int{} // existing event id -> duplicates seen in this batch
	for i, in := range ins {
		k := keyOf(in)
		if match := findFingerprint(known[k], in.Fingerprint); match != nil {
			entries[i] = batchEntry{ev: match, status: Duplicate}
			if match.ID != 0 {
				dupes[match.ID]++
			} else { // first seen in this batch: insert it already counted
				match.Duplicates++
				match.LastDuplicateAt = &now
			}
			continue
		}
		plan, err := bc.plan(ctx, s.planner, tx, routingEvent(in.Event, in.SourceID))
		if err != nil {
			return nil, err
		}
		ev := newEvent(in, plan, now)
		if prev := known[k]; len(prev) > 0 {
			ev.Revision = prev[len(prev)-1].Revision + 1
		}
		known[k] = append(known[k], &ev)
		fresh = append(fresh, &ev)
		entries[i] = batchEntry{ev: &ev, status: Accepted, plan: plan}
	}
	ds, owners, counts, err := s.planDeliveries(ctx, tx, entries, now)
	if err != nil {
		return nil, err
	}
	if err := insertBatch(ctx, tx, fresh, ds, owners); err != nil {
		return nil, err
	}
	for id, n := range dupes {
		if err := tx.Model(&Event{}).Where("id = ?", id).Updates(map[string]any{
			"duplicates": gorm.Expr("duplicates + ?", n), "last_duplicate_at": now}).Error; err != nil {
			return nil, fmt.Errorf("count duplicates of event %d: %w", id, err)
		}
	}
	return s.schedule(ctx, tx, entries, ds, counts, now)
}

// loadRevisions reads the earlier revisions of every event in ins, oldest
// first, keyed by source, meetingCode and type: another source's rows of
// the same meetingCode land under their own key, which no event in ins asks for.
func loadRevisions(ctx context.Context, tx *gorm.DB, ins []Inbound) (map[eventKey][]*Event, error) {
	codes, types := make([]string, 0, len(ins)), make([]string, 0, 4)
	for _, in := range ins {
		codes = append(codes, in.MeetingCode)
		types = append(types, in.Event)
	}
	rows, err := findRevisions(ctx, tx, codes, types)
	if err != nil {
		return nil, fmt.Errorf("look up earlier revisions: %w", err)
	}
	out := map[eventKey][]*Event{}
	for i := range rows {
		k := eventKey{sourceKey(rows[i].SourceID), rows[i].MeetingCode, rows[i].EventType}
		out[k] = append(out[k], &rows[i])
	}
	return out, nil
}

func findFingerprint(evs []*Event, fp string) *Event {
	for _, e := range evs {
		if e.Fingerprint == fp {
			return e
		}
	}
	return nil
}

// insertBatch inserts the batch's new events and their deliveries (one
// statement on PostgreSQL) and fills in their ids. A unique violation is
// another replica's copy of an event: errRaced.
func insertBatch(ctx context.Context, tx *gorm.DB, fresh []*Event, ds []Delivery, owners []*Event) error {
	if err := insertBatchRows(ctx, tx, fresh, ds, owners); err != nil {
		if database.IsUniqueViolation(err) {
			return errRaced
		}
		return fmt.Errorf("insert events and deliveries: %w", err)
	}
	return nil
}

// planDeliveries lists the deliveries of the batch's new events (held or
// pending, after re-checking a held tenant's status) with the event each
// belongs to, and how many each entry got; ids come with the insert.
func (s *Service) planDeliveries(ctx context.Context, tx *gorm.DB, entries []batchEntry, now time.Time) (ds []Delivery, owners []*Event, counts []int, err error) {
	counts = make([]int, len(entries))
	for i, e := range entries {
		if e.status != Accepted {
			continue
		}
		plan, err := s.confirmHold(ctx, tx, e.plan)
		if err != nil {
			return nil, nil, nil, err
		}
		before := len(ds)
		ds = deliveriesFor(ds, *e.ev, plan, now)
		for range len(ds) - before {
			owners = append(owners, e.ev)
		}
		counts[i] = len(ds) - before
	}
	return ds, owners, counts, nil
}

// scheduleStored is schedule for events already stored (ids known): their
// deliveries are inserted first.
func (s *Service) scheduleStored(ctx context.Context, tx *gorm.DB, entries []batchEntry, now time.Time) ([]IngestResult, error) {
	ds, owners, counts, err := s.planDeliveries(ctx, tx, entries, now)
	if err != nil {
		return nil, err
	}
	for i := range ds {
		ds[i].EventID = owners[i].ID
	}
	if len(ds) > 0 {
		if err := insertDeliveryRows(ctx, tx, ds); err != nil {
			return nil, fmt.Errorf("insert deliveries: %w", err)
		}
	}
	return s.schedule(ctx, tx, entries, ds, counts, now)
}

// schedule creates the recording links and River jobs of the new events
// (stored with their deliveries in the same transaction) and builds each
// request's answer: a crash can leave neither an event without its
// deliveries nor a job without its row.
func (s *Service) schedule(ctx context.Context, tx *gorm.DB, entries []batchEntry, ds []Delivery, counts []int, now time.Time) ([]IngestResult, error) {
	for _, e := range entries {
		if e.status != Accepted {
			continue
		}
		if err := createRecordingLink(tx, *e.ev, e.plan, now); err != nil {
			return nil, err
		}
	}
	if err := s.enqueuePending(ctx, tx, ds); err != nil {
		return nil, err
	}
	out := make([]IngestResult, len(entries))
	for i, e := range entries {
		out[i] = IngestResult{Status: e.status, EventID: e.ev.ID, Revision: e.ev.Revision}
		if e.status == Accepted {
			out[i].Routed, out[i].Deliveries = e.plan.TenantID != nil, counts[i]
		}
	}
	return out, nil
}
