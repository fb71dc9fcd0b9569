package webhooks

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"gorm.io/gorm"
)

// recordBatchMax is how many attempts one batched record stores at most.
// One statement per attempt cost PostgreSQL about four times the CPU of
// one statement for eight (executor start, commit, round trip).
const recordBatchMax = 16

// recordBatchTimeout bounds one batched record; like loadBatchTimeout, no
// waiter's context decides it for the others.
const recordBatchTimeout = 30 * time.Second

// recordBatchSize is on Prometheus' default registry, like the ingest batch size.
var recordBatchSize = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:    "switchboard_delivery_record_batch_attempts",
	Help:    "Attempts stored together by one batched record (PostgreSQL).",
	Buckets: []float64{1, 2, 4, 8, 16},
})

// recordRequest is one attempt and its delivery's update (the delivery is
// a.DeliveryID); columns are the update's names, sorted.
type recordRequest struct {
	a       *Attempt
	updates map[string]any
	columns []string
}

// recordBatcher stores the attempts of concurrent workers (PostgreSQL,
// endpoint health unchanged) with one statement per batch: the
// one-statement record (record_pg.go) with many rows, same safety.
type recordBatcher struct {
	db  *gorm.DB
	rec *attemptRecord
	c   *coalescer[recordRequest, int64]

	mu    sync.Mutex
	types map[string]string // "table.column" → its SQL type, read once
	sqls  map[string]string // shape and row count → statement
}

func newRecordBatcher(db *gorm.DB, rec *attemptRecord) *recordBatcher {
	b := &recordBatcher{db: db, rec: rec, sqls: map[string]string{}}
	b.c = newCoalescer(recordBatchMax, 4, b.run)
	return b
}

// record stores a and its delivery's updates like recordInOneStatement,
// batched with the records of other workers; it sets a.ID.
func (b *recordBatcher) record(ctx context.Context, a *Attempt, updates map[string]any) error {
	columns := make([]string, 0, len(updates))
	for c := range updates {
		columns = append(columns, c)
	}
	slices.Sort(columns)
	id, err := b.c.do(ctx, recordRequest{a: a, updates: updates, columns: columns})
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

// run stores batch: requests of one update shape together, a request
// alone when it is the only one of its shape or its delivery is already in
// the batch. A failed batch wrote nothing (one statement); each of its
// requests is then stored alone, so one row's trouble stays its own.
func (b *recordBatcher) run(batch []*coalesced[recordRequest, int64]) {
	recordBatchSize.Observe(float64(len(batch)))
	ctx, cancel := context.WithTimeout(context.Background(), recordBatchTimeout)
	defer cancel()
	shapes := map[string][]*coalesced[recordRequest, int64]{}
	var keys []string
	var alone []*coalesced[recordRequest, int64]
	seen := map[int64]bool{}
	for _, w := range batch {
		if seen[w.req.a.DeliveryID] {
			alone = append(alone, w)
			continue
		}
		seen[w.req.a.DeliveryID] = true
		key := strings.Join(w.req.columns, ",")
		if shapes[key] == nil {
			keys = append(keys, key)
		}
		shapes[key] = append(shapes[key], w)
	}
	for _, key := range keys {
		group := shapes[key]
		if len(group) == 1 {
			alone = append(alone, group[0])
		} else if err := b.store(ctx, group); err != nil {
			alone = append(alone, group...)
		}
	}
	for _, w := range alone {
		a := w.req.a
		id, err := b.rec.insertUpdate(ctx, b.db, a, a.DeliveryID, w.req.columns, w.req.updates)
		w.answer(id, err)
	}
}

// store records group (one shape, distinct deliveries) with one statement
// and answers each request; on an error nobody is answered.
func (b *recordBatcher) store(ctx context.Context, group []*coalesced[recordRequest, int64]) error {
	columns := group[0].req.columns
	rows := 1
	for rows < len(group) {
		rows *= 2 // few statement texts: PostgreSQL keeps a generic plan for each
	}
	sql, err := b.statement(ctx, columns, rows)
	if err != nil {
		return err
	}
	width := 1 + len(b.rec.fields) + len(columns)
	vars := make([]any, rows*width) // rows past the group stay NULL: skipped
	for i, w := range group {
		row := vars[i*width : (i+1)*width]
		row[0] = w.req.a.DeliveryID
		av := reflect.ValueOf(w.req.a).Elem()
		for j, f := range b.rec.fields {
			row[1+j], _ = f.ValueOf(ctx, av)
		}
		for j, c := range columns {
			row[1+len(b.rec.fields)+j] = w.req.updates[c]
		}
	}
	ids, err := b.exec(ctx, sql, vars, len(group))
	if err != nil {
		return err
	}
	for _, w := range group {
		w.answer(ids[w.req.a.DeliveryID], nil)
	}
	return nil
}

// exec runs a batch statement and returns the attempt id by delivery,
// checking that every delivery was updated.
func (b *recordBatcher) exec(ctx context.Context, sql string, vars []any, want int) (map[int64]int64, error) {
	res, err := b.db.Statement.ConnPool.QueryContext(ctx, sql, vars...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	ids := make(map[int64]int64, want)
	for res.Next() {
		var delivery, attempt, updated int64
		var setting string
		if err := res.Scan(&delivery, &attempt, &updated, &setting); err != nil {
			return nil, err
		}
		if updated != int64(want) {
			return nil, fmt.Errorf("batched record updated %d of %d deliveries", updated, want)
		}
		ids[delivery] = attempt
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	if len(ids) != want {
		return nil, fmt.Errorf("batched record stored %d of %d attempts", len(ids), want)
	}
	return ids, nil
}

// statement is the batch statement for rows rows of an update of columns:
// the rows come as a VALUES list (typed from the tables' own column
// types), NULL-id rows are padding.
func (b *recordBatcher) statement(ctx context.Context, columns []string, rows int) (string, error) {
	if err := b.rec.build(b.db); err != nil {
		return "", err
	}
	key := strings.Join(columns, ",") + "/" + strconv.Itoa(rows)
	b.mu.Lock()
	defer b.mu.Unlock()
	if sql, ok := b.sqls[key]; ok {
		return sql, nil
	}
	if b.types == nil {
		types, err := columnTypes(ctx, b.db, "attempts", "deliveries")
		if err != nil {
			return "", err
		}
		b.types = types
	}
	types := []string{"bigint"} // the delivery id
	names := []string{"id"}
	var ins, sel, set []string
	for _, f := range b.rec.fields {
		types = append(types, b.types["attempts."+f.DBName])
		names = append(names, "a"+strconv.Itoa(len(ins)))
		ins = append(ins, `"`+f.DBName+`"`)
		sel = append(sel, names[len(names)-1])
	}
	for _, c := range columns {
		types = append(types, b.types["deliveries."+c])
		names = append(names, "u"+strconv.Itoa(len(set)))
		set = append(set, `"`+c+`"=v.`+names[len(names)-1])
	}
	for _, t := range types {
		if t == "" {
			return "", fmt.Errorf("batched record: a column of %v has no type", columns)
		}
	}
	values := make([]string, rows)
	for r := range rows {
		params := make([]string, len(types))
		for i, t := range types {
			params[i] = "$" + strconv.Itoa(r*len(types)+i+1) + "::" + t
		}
		values[r] = "(" + strings.Join(params, ",") + ")"
	}
	sql := "WITH v (" + strings.Join(names, ",") + ") AS (VALUES " + strings.Join(values, ",") + "), " +
		"a AS (INSERT INTO attempts (" + strings.Join(ins, ",") + ") SELECT " + strings.Join(sel, ",") + ` FROM v WHERE id IS NOT NULL RETURNING "id", "delivery_id"), ` +
		"u AS (UPDATE deliveries d SET " + strings.Join(set, ",") + " FROM v WHERE d.id = v.id RETURNING d.id) " +
		"SELECT a.delivery_id, a.id, (SELECT count(*) FROM u), set_config('synchronous_commit', 'off', true) FROM a"
	b.sqls[key] = sql
	return sql, nil
}

// columnTypes reads the SQL type of every column of tables ("table.column").
func columnTypes(ctx context.Context, db *gorm.DB, tables ...string) (map[string]string, error) {
	types := map[string]string{}
	for _, table := range tables {
		rows, err := db.Statement.ConnPool.QueryContext(ctx, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
			WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, table)
		if err != nil {
			return nil, fmt.Errorf("column types of %s: %w", table, err)
		}
		for rows.Next() {
			var name, typ string
			if err := rows.Scan(&name, &typ); err != nil {
				rows.Close()
				return nil, fmt.Errorf("column types of %s: %w", table, err)
			}
			types[table+"."+name] = typ
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("column types of %s: %w", table, err)
		}
	}
	return types, nil
}
