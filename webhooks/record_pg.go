package webhooks

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// attemptRecord is the SQL of insertUpdate. The attempts columns
// come once from Attempt's GORM schema and each shape of the delivery
// update (its sorted column names; a handful occur) is written once:
// building both halves with GORM's dry run on every record was a tenth of
// the server's CPU under load.
type attemptRecord struct {
	once   sync.Once
	fields []*schema.Field // the attempts columns, in INSERT order
	insert string          // INSERT … RETURNING id, placeholders $1…$len(fields)
	err    error
	shapes sync.Map // "col1,col2,…" → the whole statement
}

func (r *attemptRecord) build(db *gorm.DB) error {
	r.once.Do(func() {
		s, err := schema.Parse(&Attempt{}, &sync.Map{}, db.NamingStrategy)
		if err != nil {
			r.err = fmt.Errorf("parse attempt: %w", err)
			return
		}
		var cols, params []string
		for _, name := range s.DBNames {
			f := s.FieldsByDBName[name]
			if f.PrimaryKey {
				continue // a new attempt: the database numbers it
			}
			if f.HasDefaultValue || f.AutoCreateTime > 0 || f.AutoUpdateTime > 0 {
				// GORM would fill or skip such a column; this statement writes each as it is.
				r.err = fmt.Errorf("attempt column %s has a default: the one-statement record doesn't apply it", name)
				return
			}
			r.fields = append(r.fields, f)
			cols = append(cols, `"`+name+`"`)
			params = append(params, "$"+strconv.Itoa(len(r.fields)))
		}
		r.insert = "INSERT INTO attempts (" + strings.Join(cols, ",") + ") VALUES (" + strings.Join(params, ",") + `) RETURNING "id"`
	})
	return r.err
}

// statement is the whole statement for an update of columns (sorted).
func (r *attemptRecord) statement(columns []string) string {
	key := strings.Join(columns, ",")
	if sql, ok := r.shapes.Load(key); ok {
		return sql.(string)
	}
	n := len(r.fields)
	set := make([]string, len(columns))
	for i, c := range columns {
		set[i] = `"` + c + `"=$` + strconv.Itoa(n+i+1)
	}
	sql := "WITH a AS (" + r.insert + `) UPDATE deliveries SET ` + strings.Join(set, ",") +
		` WHERE id = $` + strconv.Itoa(n+len(columns)+1) +
		` RETURNING (SELECT id FROM a), set_config('synchronous_commit', 'off', true)`
	r.shapes.Store(key, sql)
	return sql
}

// insertUpdate stores attempt a and its delivery's new state with one
// PostgreSQL statement and returns the attempt's id: the INSERT runs as a
// data-modifying CTE of the UPDATE, so both commit together (a single
// statement is atomic) in one round trip instead of four (begin, insert,
// update, commit). updates are column names and values, as for GORM's
// Updates, and columns their names, sorted; JSON columns of a go through
// GORM's serializers. recordBatcher stores many attempts the same way.
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
func (r *attemptRecord) insertUpdate(ctx context.Context, db *gorm.DB, a *Attempt, deliveryID int64, columns []string, updates map[string]any) (int64, error) {
	if err := r.build(db); err != nil {
		return 0, err
	}
	vars := make([]any, 0, len(r.fields)+len(columns)+1)
	av := reflect.ValueOf(a).Elem()
	for _, f := range r.fields {
		v, _ := f.ValueOf(ctx, av) // a serializer's value is a driver.Valuer
		vars = append(vars, v)
	}
	for _, c := range columns {
		vars = append(vars, updates[c])
	}
	vars = append(vars, deliveryID)
	var id int64
	var setting string
	err := db.Statement.ConnPool.QueryRowContext(ctx, r.statement(columns), vars...).Scan(&id, &setting)
	if err != nil {
		return 0, fmt.Errorf("record attempt of delivery %d: %w", deliveryID, err)
	}
	return id, nil
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
	return res.status == 0 && (res.class == "config" || res.class == "mapping" || res.class == "correlation-missing" || res.class == "endpoint-disabled" ||
		res.class == "not-subscribed")
}
