package webhooks

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
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
)

// findRevisions returns the id, key, revision and fingerprint of every
// stored event whose meetingCode is in codes and type in types, oldest
// revision first. Both IN lists are padded to a power of two (repeating
// the last value), so PostgreSQL sees a few statement texts it plans once
// each; an array parameter ("= ANY($1)") got a generic plan that scanned
// the whole table once it was cached.
func findRevisions(ctx context.Context, tx *gorm.DB, codes, types []string) ([]Event, error) {
	codes, types = padded(distinct(codes)), padded(distinct(types))
	var out []Event
	err := tx.WithContext(ctx).Select("id", "meeting_code", "event_type", "revision", "fingerprint").
		Where("meeting_code IN ? AND event_type IN ?", codes, types).Order("revision").Find(&out).Error
	return out, err
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
	return returnIDs(ctx, tx, insertEventsUnnest, n, func(i int, id int64) { rows[i].ID = id },
		types, codes, sources, tenants, revisions, fps, bodies, dupes, lastDupe, received, videoURLs, expires, names)
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
