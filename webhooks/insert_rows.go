package webhooks

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
)

// On PostgreSQL a group commit's events and deliveries are inserted with
// one fixed statement each that unnests arrays, instead of GORM's
// multi-row VALUES: the text is the same for every batch size, so pgx's
// statement cache and PostgreSQL's cached plan serve every batch (GORM's
// text changes with the row count), and the arrays travel in binary
// without per-row reflection. RETURNING yields the rows in the order
// unnest produced them, the same order GORM relies on for VALUES.
const (
	insertEventsUnnest = `INSERT INTO events (event_type, meeting_code, source_id, tenant_id, revision,
		fingerprint, body, duplicates, last_duplicate_at, received_at, video_api_url, video_url_expires_at, candidate_name)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[],
		$6::text[], $7::bytea[], $8::int[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::timestamptz[], $13::text[])
		RETURNING id`
	insertDeliveriesUnnest = `INSERT INTO deliveries (event_id, tenant_id, endpoint_id, status, created_at, updated_at)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $6::timestamptz[])
		RETURNING id`
	// insertBatchUnnest inserts a group commit's events and their
	// deliveries in one statement (one round trip): each delivery names its
	// event by source ('' when absent, as COALESCE in the unique index),
	// meetingCode, type and revision, unique in the batch as in the table,
	// and takes the id the events' insert returned (an equality on plain
	// text, so the join can hash). Foreign keys are checked at the end of
	// the statement, when the events exist. Event rows come back with that
	// key, delivery rows with their event and endpoint.
	insertBatchUnnest = `WITH ev AS (
		INSERT INTO events (event_type, meeting_code, source_id, tenant_id, revision,
		fingerprint, body, duplicates, last_duplicate_at, received_at, video_api_url, video_url_expires_at, candidate_name)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[],
		$6::text[], $7::bytea[], $8::int[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::timestamptz[], $13::text[])
		RETURNING id, COALESCE(source_id, '') AS source, meeting_code, event_type, revision
	), dl AS (
		INSERT INTO deliveries (event_id, tenant_id, endpoint_id, status, created_at, updated_at)
		SELECT ev.id, u.tenant_id, u.endpoint_id, u.status, u.created_at, u.updated_at
		FROM unnest($14::text[], $15::text[], $16::text[], $17::int[], $18::bigint[], $19::bigint[], $20::text[], $21::timestamptz[], $22::timestamptz[])
			AS u (source, meeting_code, event_type, revision, tenant_id, endpoint_id, status, created_at, updated_at)
		JOIN ev ON ev.source = u.source AND ev.meeting_code = u.meeting_code AND ev.event_type = u.event_type AND ev.revision = u.revision
		RETURNING id, event_id, endpoint_id
	)
	SELECT true, id, id, 0::bigint, source, meeting_code, event_type, revision FROM ev
	UNION ALL
	SELECT false, id, event_id, endpoint_id, '', '', '', 0 FROM dl`
)

// findRevisions returns the id, key (source, meetingCode, type), revision
// and fingerprint of every stored event whose meetingCode is in codes and
// type in types, oldest revision first; the caller keys them by source.
// Both IN lists are padded to a power of two (repeating the last value),
// so PostgreSQL sees a few statement texts it plans once each; an array
// parameter ("= ANY($1)") got a generic plan that scanned the whole table
// once it was cached. The source is not a third IN list: PostgreSQL scans
// the index by meetingCode and filters the rest either way (EXPLAIN), a
// third padded list would multiply the statement texts it plans, and
// another source's rows of the same meetingCode are rare (a meetingCode
// belongs to one organization) and land under their own key.
func findRevisions(ctx context.Context, tx *gorm.DB, codes, types []string) ([]Event, error) {
	codes, types = padded(distinct(codes)), padded(distinct(types))
	pg := tx.Dialector.Name() == "postgres"
	// Plain SQL on GORM's connection (or transaction): the lookup runs
	// with every group commit, and GORM's statement building and
	// reflection were most of its CPU.
	query := "SELECT id, source_id, meeting_code, event_type, revision, fingerprint FROM events WHERE meeting_code IN (" +
		placeholders(pg, 0, len(codes)) + ") AND event_type IN (" + placeholders(pg, len(codes), len(types)) + ") ORDER BY revision"
	args := make([]any, 0, len(codes)+len(types))
	for _, c := range codes {
		args = append(args, c)
	}
	for _, t := range types {
		args = append(args, t)
	}
	rows, err := tx.Statement.ConnPool.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.SourceID, &e.MeetingCode, &e.EventType, &e.Revision, &e.Fingerprint); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// placeholders is a list of n bind parameters: $from+1 … on PostgreSQL,
// ? on SQLite.
func placeholders(pg bool, from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if pg {
			b.WriteString("$" + strconv.Itoa(from+i+1))
		} else {
			b.WriteString("?")
		}
	}
	return b.String()
}

func distinct(vals []string) []string {
	seen := make(map[string]bool, len(vals))
	out := vals[:0:0]
	for _, v := range vals {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// padded extends vals (not empty) to the next power of two by repeating
// its last value: IN lists of a few lengths, so PostgreSQL sees a few
// statement texts and plans each once (findRevisions, targetQuery.forIDs).
func padded[T any](vals []T) []T {
	n := 1
	for n < len(vals) {
		n *= 2
	}
	for len(vals) < n {
		vals = append(vals, vals[len(vals)-1])
	}
	return vals
}

// insertEventRows inserts rows and fills in their ids.
func insertEventRows(ctx context.Context, tx *gorm.DB, rows []*Event) error {
	if tx.Dialector.Name() != "postgres" {
		plain := make([]Event, len(rows))
		for i, e := range rows {
			plain[i] = *e
		}
		if err := tx.Create(&plain).Error; err != nil {
			return err
		}
		for i := range plain {
			rows[i].ID = plain[i].ID
		}
		return nil
	}
	return returnIDs(ctx, tx, insertEventsUnnest, len(rows), func(i int, id int64) { rows[i].ID = id }, eventArrays(rows)...)
}

// eventArrays are the 13 column arrays of insertEventsUnnest and
// insertBatchUnnest, in their parameter order.
func eventArrays(rows []*Event) []any {
	n := len(rows)
	var (
		types, codes, fps, names = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		sources, videoURLs       = make([]*string, n), make([]*string, n)
		tenants                  = make([]*int64, n)
		revisions, dupes         = make([]int32, n), make([]int32, n)
		bodies                   = make([][]byte, n)
		received                 = make([]time.Time, n)
		lastDupe, expires        = make([]*time.Time, n), make([]*time.Time, n)
	)
	for i, e := range rows {
		types[i], codes[i], sources[i], tenants[i], revisions[i] = e.EventType, e.MeetingCode, e.SourceID, e.TenantID, int32(e.Revision)
		fps[i], bodies[i], dupes[i], lastDupe[i], received[i] = e.Fingerprint, e.Body, int32(e.Duplicates), e.LastDuplicateAt, e.ReceivedAt
		videoURLs[i], expires[i], names[i] = e.VideoAPIURL, e.VideoURLExpiresAt, e.CandidateName
	}
	// The bodies are most of the statement's bytes: database.ByteaArray sizes their buffer once.
	return []any{types, codes, sources, tenants, revisions, fps, database.ByteaArray(bodies), dupes, lastDupe, received, videoURLs, expires, names}
}

// insertBatchRows inserts a group commit's new events and their new
// deliveries (ds[i] belongs to owners[i], whose id is not known yet) and
// fills in every id and each delivery's EventID: one statement on
// PostgreSQL, two on SQLite.
func insertBatchRows(ctx context.Context, tx *gorm.DB, events []*Event, ds []Delivery, owners []*Event) error {
	if len(events) == 0 {
		return nil
	}
	if tx.Dialector.Name() != "postgres" {
		if err := insertEventRows(ctx, tx, events); err != nil {
			return err
		}
		if len(ds) == 0 {
			return nil
		}
		for i := range ds {
			ds[i].EventID = owners[i].ID
		}
		return insertDeliveryRows(ctx, tx, ds)
	}
	n := len(ds)
	sources, codes, types := make([]string, n), make([]string, n), make([]string, n)
	revisions := make([]int32, n)
	tenants, endpoints := make([]int64, n), make([]int64, n)
	statuses := make([]string, n)
	created, updated := make([]time.Time, n), make([]time.Time, n)
	for i, d := range ds {
		sources[i], codes[i], types[i], revisions[i] = sourceKey(owners[i].SourceID), owners[i].MeetingCode, owners[i].EventType, int32(owners[i].Revision)
		tenants[i], endpoints[i], statuses[i] = d.TenantID, d.EndpointID, string(d.Status)
		created[i], updated[i] = d.CreatedAt, d.UpdatedAt
	}
	args := append(eventArrays(events), sources, codes, types, revisions, tenants, endpoints, statuses, created, updated)
	rows, err := tx.Statement.ConnPool.QueryContext(ctx, insertBatchUnnest, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	byKey := make(map[eventRevision]*Event, len(events))
	for _, e := range events {
		byKey[eventRevision{eventKey{sourceKey(e.SourceID), e.MeetingCode, e.EventType}, e.Revision}] = e
	}
	type owned struct{ event, endpoint int64 }
	deliveryIDs := make(map[owned]int64, n)
	gotEvents := 0
	for rows.Next() {
		var isEvent bool
		var id, eventID, endpointID int64
		var source, code, typ string
		var revision int
		if err := rows.Scan(&isEvent, &id, &eventID, &endpointID, &source, &code, &typ, &revision); err != nil {
			return err
		}
		if !isEvent {
			deliveryIDs[owned{eventID, endpointID}] = id
			continue
		}
		e := byKey[eventRevision{eventKey{source, code, typ}, revision}]
		if e == nil {
			return fmt.Errorf("inserted event %q/%s/%s revision %d that the batch does not hold", source, code, typ, revision)
		}
		e.ID = id
		gotEvents++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if gotEvents != len(events) || len(deliveryIDs) != n {
		return fmt.Errorf("inserted %d events and %d deliveries, expected %d and %d", gotEvents, len(deliveryIDs), len(events), n)
	}
	for i := range ds {
		ds[i].EventID = owners[i].ID
		ds[i].ID = deliveryIDs[owned{ds[i].EventID, ds[i].EndpointID}]
	}
	return nil
}

// eventRevision identifies one revision of an event.
type eventRevision struct {
	key      eventKey
	revision int
}

// insertDeliveryRows inserts ds (new deliveries: pending or held) and
// fills in their ids.
func insertDeliveryRows(ctx context.Context, tx *gorm.DB, ds []Delivery) error {
	if tx.Dialector.Name() != "postgres" {
		return tx.Create(&ds).Error
	}
	n := len(ds)
	events, tenants, endpoints := make([]int64, n), make([]int64, n), make([]int64, n)
	statuses := make([]string, n)
	created, updated := make([]time.Time, n), make([]time.Time, n)
	for i, d := range ds {
		events[i], tenants[i], endpoints[i], statuses[i] = d.EventID, d.TenantID, d.EndpointID, string(d.Status)
		created[i], updated[i] = d.CreatedAt, d.UpdatedAt
	}
	return returnIDs(ctx, tx, insertDeliveriesUnnest, n, func(i int, id int64) { ds[i].ID = id },
		events, tenants, endpoints, statuses, created, updated)
}

// returnIDs runs an INSERT … RETURNING id in tx and hands each id to set,
// in order; it checks that exactly n came back.
func returnIDs(ctx context.Context, tx *gorm.DB, sql string, n int, set func(i int, id int64), args ...any) error {
	rows, err := tx.Statement.ConnPool.QueryContext(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		if i < n {
			set(i, id)
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if i != n {
		return fmt.Errorf("inserted %d rows, expected %d", i, n)
	}
	return nil
}
