package webhooks

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
)

// targetRow is one delivery with its event, endpoint and the endpoint's
// health, read by one joined query; each struct's columns carry a prefix
// so the same column names (id, tenant_id, …) don't collide.
type targetRow struct {
	D  Delivery         `gorm:"embedded;embeddedPrefix:d__"`
	E  Event            `gorm:"embedded;embeddedPrefix:e__"`
	EP tenants.Endpoint `gorm:"embedded;embeddedPrefix:ep__"`
	H  EndpointHealth   `gorm:"embedded;embeddedPrefix:h__"`
	// TenantStatus is the delivery's tenant's status (paused and disabled
	// tenants' queued deliveries are not sent).
	TenantStatus tenants.Status `gorm:"column:tn__status"`
	// MappingVersion is the endpoint's current mapping version (nil: none).
	MappingVersion *int64 `gorm:"column:mv__id"`
	// RecordingLink is the event's recording link (nil: none or revoked).
	RecordingLink *int64 `gorm:"column:rl__id"`
}

func (r *targetRow) target() *target {
	return &target{delivery: r.D, tenantStatus: r.TenantStatus, event: r.E, endpoint: r.EP, health: r.H, mappingVersion: r.MappingVersion,
		recordingLink: r.RecordingLink}
}

// recordingLinkSQL reads the event's recording link id (recording_links
// has at most one row per event).
const recordingLinkSQL = "(SELECT rl.id FROM recording_links rl WHERE rl.event_id = e.id AND rl.revoked_at IS NULL LIMIT 1)"

// targetSources maps targetRow's column prefixes to the joined tables.
var targetSources = map[string]string{"d__": "d.", "e__": "e.", "ep__": "ep.", "h__": "ep.", "tn__": "tn."}

// targetQuery is the joined SELECT and the targetRow field of each of its
// columns, derived once from targetRow's GORM schema: a column added to one
// of the structs is read without editing SQL, and no call pays for GORM's
// statement building or column matching (a large share of a load's CPU).
type targetQuery struct {
	once   sync.Once
	sql    string          // ends with "WHERE d.id"; the id condition follows
	fields []*schema.Field // targetRow's field of each selected column
	pg     bool
	err    error
}

func (q *targetQuery) build(db *gorm.DB) error {
	q.once.Do(func() {
		s, err := schema.Parse(&targetRow{}, &sync.Map{}, db.NamingStrategy)
		if err != nil {
			q.err = fmt.Errorf("parse target row: %w", err)
			return
		}
		var cols []string
		for _, f := range s.Fields {
			if f.DBName == "" {
				continue
			}
			col, err := targetColumn(f.DBName)
			if err != nil {
				q.err = err
				return
			}
			cols = append(cols, col)
			q.fields = append(q.fields, f)
		}
		q.pg = db.Dialector.Name() == "postgres"
		q.sql = "SELECT " + strings.Join(cols, ", ") + ` FROM deliveries d
			JOIN events e ON e.id = d.event_id JOIN endpoints ep ON ep.id = d.endpoint_id
			JOIN tenants tn ON tn.id = d.tenant_id WHERE d.id`
	})
	return q.err
}

// targetColumn is the SQL expression of targetRow's column name.
func targetColumn(name string) (string, error) {
	switch name {
	case "mv__id":
		return routing.CurrentVersionSQL("ep.id"), nil
	case "rl__id":
		return recordingLinkSQL, nil
	}
	for prefix, table := range targetSources {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			return table + rest, nil
		}
	}
	return "", fmt.Errorf("target row column %s has no table", name)
}

// forIDs is the query and arguments reading the rows of ids. The IN list
// has one of a few lengths (padded by repeating the last id), so PostgreSQL
// sees few statement texts: pgx prepares each once per connection and
// PostgreSQL soon reuses a generic plan instead of planning the five-table
// join per call. (An array parameter, "= ANY($1)", was planned per call:
// its generic plan guesses ten rows and may pick sequential scans.)
func (q *targetQuery) forIDs(ids []int64) (string, []any) {
	ids = padded(append([]int64(nil), ids...))
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return q.sql + " IN (" + placeholders(q.pg, 0, len(ids)) + ")", args
}

// scan reads the current row into r the way GORM's Scan does (its scan
// holders and setters: serializers, NULLs, SQLite's times), without
// matching columns by name.
func (q *targetQuery) scan(ctx context.Context, rows *sql.Rows, r *targetRow) error {
	vals := make([]any, len(q.fields))
	for i, f := range q.fields {
		vals[i] = f.NewValuePool.Get()
	}
	if err := rows.Scan(vals...); err != nil {
		return err
	}
	rv := reflect.ValueOf(r).Elem()
	for i, f := range q.fields {
		if err := f.Set(ctx, rv, vals[i]); err != nil {
			return fmt.Errorf("column %s: %w", f.DBName, err)
		}
		f.NewValuePool.Put(vals[i])
	}
	return nil
}

// loadTargets reads the rows of ids with one joined query; missing ids are
// absent from the map.
func loadTargets(ctx context.Context, db *gorm.DB, q *targetQuery, ids []int64) (map[int64]*targetRow, error) {
	if err := q.build(db); err != nil {
		return nil, err
	}
	query, args := q.forIDs(ids)
	rows, err := db.Statement.ConnPool.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make(map[int64]*targetRow, len(ids))
	for rows.Next() {
		r := new(targetRow)
		if err := q.scan(ctx, rows, r); err != nil {
			return nil, err
		}
		found[r.D.ID] = r
	}
	return found, rows.Err()
}

// loadJoined reads everything one attempt needs in one round trip: the
// delivery, its event (body included), its endpoint, the endpoint's
// breaker state, its current mapping version (for
// routing.Mapper.RenderVersion) and the event's recording link. A missing delivery is problem.NotFound.
// The worker reads through a loadBatcher, which answers concurrent loads
// with one query.
func loadJoined(ctx context.Context, db *gorm.DB, q *targetQuery, id int64) (*target, error) {
	found, err := loadTargets(ctx, db, q, []int64{id})
	if err != nil {
		return nil, fmt.Errorf("load delivery %d: %w", id, err)
	}
	r, ok := found[id]
	if !ok {
		return nil, problem.NotFound("delivery")
	}
	return r.target(), nil
}
