package loadtest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/database"
)

// QueryBench fills a database with deliveries and times the delivery-log
// searches support runs: by tenant, tenant+status, status, and meetingCode,
// each paged with a keyset cursor (id < last id seen), newest first.
type QueryBench struct {
	Deliveries int // total delivery rows to add
	Tenants    int
	Endpoints  int     // per tenant; events = Deliveries / Endpoints
	BigShare   float64 // share of meetings owned by the first tenant (a big customer)
	Runs       int     // timed searches per query kind
	Pages      int     // pages followed per search
	PageSize   int
	RunID      string
	Log        io.Writer
}

// QueryResult is the timing of one query kind.
type QueryResult struct {
	Name    string  `json:"name"`
	SQL     string  `json:"sql"`
	Timings Summary `json:"timings"` // per page fetched
	P95     float64 `json:"p95_ms"`
	Rows    int     `json:"rows_returned"`
	Plan    string  `json:"plan"`
}

// queryKind is one search: its SQL (args: the filter, then the cursor) and
// how to pick a filter value for a run.
type queryKind struct {
	name, where string
	arg         func(r *rand.Rand, qb *qbState) []any
}

// qbState is what the fill produced and the queries draw from.
type qbState struct {
	tenantIDs  []int64
	meetings   int
	bigPercent int
	runID      string
}

var queryKinds = []queryKind{
	{"tenant", "d.tenant_id = %s", func(r *rand.Rand, s *qbState) []any { return []any{s.pickTenant(r)} }},
	{"tenant+failed", "d.tenant_id = %s AND d.status = 'failed'", func(r *rand.Rand, s *qbState) []any { return []any{s.pickTenant(r)} }},
	{"tenant+pending", "d.tenant_id = %s AND d.status = 'pending'", func(r *rand.Rand, s *qbState) []any { return []any{s.pickTenant(r)} }},
	{"big tenant+pending", "d.tenant_id = %s AND d.status = 'pending'", func(_ *rand.Rand, s *qbState) []any { return []any{s.tenantIDs[0]} }},
	{"status=failed (all tenants)", "d.status = %s", func(*rand.Rand, *qbState) []any { return []any{"failed"} }},
	{"meetingCode", "e.meeting_code = %s", func(r *rand.Rand, s *qbState) []any { return []any{s.pickMeeting(r)} }},
	{"tenant+meetingCode", "d.tenant_id = %s AND e.meeting_code = %s", func(r *rand.Rand, s *qbState) []any {
		m := r.IntN(s.meetings)
		return []any{s.ownerOf(m), fmt.Sprintf("QB-%s-%d", s.runID, m)}
	}},
}

// ownerOf mirrors Fill's assignment of meeting m to a tenant.
func (s *qbState) ownerOf(m int) int64 {
	if m%100 < s.bigPercent {
		return s.tenantIDs[0]
	}
	return s.tenantIDs[m%len(s.tenantIDs)]
}

func (s *qbState) pickTenant(r *rand.Rand) int64 { return s.tenantIDs[r.IntN(len(s.tenantIDs))] }
func (s *qbState) pickMeeting(r *rand.Rand) string {
	return fmt.Sprintf("QB-%s-%d", s.runID, r.IntN(s.meetings))
}

// searchSQL is the delivery-log page query for a filter, in db's placeholder style.
func searchSQL(d database.Dialect, where string, nFilter int) string {
	ph := make([]any, nFilter)
	for i := range ph {
		ph[i] = placeholder(d, i+1)
	}
	return fmt.Sprintf(`SELECT d.id, d.event_id, d.endpoint_id, d.status, d.attempts, d.last_status_code, d.created_at,
       e.event_type, e.meeting_code
FROM deliveries d JOIN events e ON e.id = d.event_id
WHERE %s AND d.id < %s
ORDER BY d.id DESC LIMIT %s`, fmt.Sprintf(where, ph...), placeholder(d, nFilter+1), placeholder(d, nFilter+2))
}

func placeholder(d database.Dialect, i int) string {
	if d == database.Postgres {
		return fmt.Sprintf("$%d", i)
	}
	return "?"
}

// Queryer is a *sql.DB or a *sql.Tx.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Run times every query kind on db (already filled by Fill).
func (qb *QueryBench) Run(ctx context.Context, db *database.DB, s *qbState) ([]QueryResult, error) {
	return qb.runOn(ctx, db.SQL, db.Dialect, s)
}

// RunWithout times the queries again inside a transaction that drops index
// and is rolled back: the same data, with and without the index.
func (qb *QueryBench) RunWithout(ctx context.Context, db *database.DB, s *qbState, index string) ([]QueryResult, error) {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // rolling back restores the index
	if _, err := tx.ExecContext(ctx, "DROP INDEX "+index); err != nil {
		return nil, fmt.Errorf("drop index %s: %w", index, err)
	}
	return qb.runOn(ctx, tx, db.Dialect, s)
}

func (qb *QueryBench) runOn(ctx context.Context, db Queryer, dialect database.Dialect, s *qbState) ([]QueryResult, error) {
	r := rand.New(rand.NewPCG(1, 2))
	var out []QueryResult
	for _, k := range queryKinds {
		nFilter := strings.Count(k.where, "%s")
		q := searchSQL(dialect, k.where, nFilter)
		res := QueryResult{Name: k.name, SQL: q}
		var samples Samples
		for range qb.Runs {
			rows, err := qb.search(ctx, db, q, k.arg(r, s), &samples)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k.name, err)
			}
			res.Rows += rows
		}
		res.Timings = samples.Summarize()
		samples.mu.Lock()
		res.P95 = ms(percentile(samples.d, 0.95))
		samples.mu.Unlock()
		plan, err := explain(ctx, db, dialect, q, append(k.arg(r, s), int64(1)<<62, qb.PageSize))
		if err != nil {
			return nil, fmt.Errorf("explain %s: %w", k.name, err)
		}
		res.Plan = plan
		out = append(out, res)
	}
	return out, nil
}

// search follows up to Pages pages of one search, timing each page.
func (qb *QueryBench) search(ctx context.Context, db Queryer, q string, filter []any, samples *Samples) (int, error) {
	cursor, total := int64(1)<<62, 0
	for range qb.Pages {
		start := time.Now()
		rows, err := db.QueryContext(ctx, q, append(filter, cursor, qb.PageSize)...)
		if err != nil {
			return total, err
		}
		n := 0
		for rows.Next() {
			var id, eventID, endpointID int64
			var status, eventType, code string
			var attempts int
			var lastStatus sql.NullInt64
			var created any
			if err := rows.Scan(&id, &eventID, &endpointID, &status, &attempts, &lastStatus, &created, &eventType, &code); err != nil {
				rows.Close()
				return total, err
			}
			cursor, n = id, n+1
		}
		rows.Close()
		samples.Add(time.Since(start))
		total += n
		if err := rows.Err(); err != nil || n < qb.PageSize {
			return total, err
		}
	}
	return total, nil
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	summarize(s) // sorts
	return rank(s, q)
}

// explain returns the plan: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite.
func explain(ctx context.Context, db Queryer, dialect database.Dialect, q string, args []any) (string, error) {
	prefix := "EXPLAIN QUERY PLAN "
	if dialect == database.Postgres {
		prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
	}
	rows, err := db.QueryContext(ctx, prefix+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
	}
	return strings.Join(lines, "\n"), rows.Err()
}
