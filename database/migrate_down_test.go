package database_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestMigrateDownEveryStep walks every migration on each dialect: up to the
// newest with a tenant, endpoint, event, delivery and attempt stored, then
// down one step at a time to 0 and up again. After each step the schema
// (tables, columns, indexes, constraints, from the database's catalog) must
// equal that of a fresh database migrated up to the same version, which is
// what the release of that version runs on, and the stored rows must keep
// the columns that version has.
func TestMigrateDownEveryStep(t *testing.T) {
	fresh := testdb.Targets(t)
	walked := testdb.Targets(t)
	for i := range fresh {
		t.Run(fresh[i].Name, func(t *testing.T) {
			ctx := context.Background()
			want := schemasByVersion(t, openEmpty(t, fresh[i].URL))
			db := testdb.Open(t, walked[i].URL)
			versions := sortedVersions(want)
			fillCoreRows(t, db)
			rows := coreRows(t, db)
			for j := len(versions) - 1; j > 0; j-- {
				from, to := versions[j], versions[j-1]
				var out bytes.Buffer
				if err := db.MigrateDown(ctx, to, &out); err != nil {
					t.Fatalf("down from %d to %d: %v\n%s", from, to, err, out.String())
				}
				if want := fmt.Sprintf("rolled back switchboard migration %d in ", from); !strings.Contains(out.String(), want) {
					t.Errorf("down from %d printed %q, want it to say %q", from, out.String(), want)
				}
				compareSchemas(t, fmt.Sprintf("after down to %d", to), schemaOf(t, db), want[to])
				if to > 0 {
					if got := coreRows(t, db); !slices.Equal(got, rows) {
						t.Errorf("rows after down to %d:\n%s\nwant\n%s", to, strings.Join(got, "\n"), strings.Join(rows, "\n"))
					}
				}
				checkSQLiteForeignKeys(t, db)
			}
			if err := db.Migrate(ctx, nil); err != nil {
				t.Fatalf("up again from 0: %v", err)
			}
			compareSchemas(t, "after up again", schemaOf(t, db), want[versions[len(versions)-1]])
			fillCoreRows(t, db)
		})
	}
}

// openEmpty opens the database at url without migrating it.
func openEmpty(t *testing.T, url string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// schemasByVersion migrates an empty database one step at a time and
// records its schema at each version (0: River's tables only), so each is
// the schema a fresh `up` to that version makes.
func schemasByVersion(t *testing.T, db *database.DB) map[int64][]string {
	t.Helper()
	ctx := context.Background()
	if err := db.MigrateRiverOnly(ctx); err != nil {
		t.Fatal(err)
	}
	out := map[int64][]string{}
	for {
		v, err := db.MigrateUpByOne(ctx)
		if errors.Is(err, goose.ErrNoNextVersion) {
			return out
		} else if err != nil {
			t.Fatalf("up by one: %v", err)
		}
		if len(out) == 0 { // goose's version table exists from the first step on
			out[0] = withoutOurs(schemaOf(t, db))
		}
		out[v] = schemaOf(t, db)
	}
}

// withoutOurs keeps River's and goose's part of a schema taken at our
// first migration, which is the schema at version 0.
func withoutOurs(schema []string) []string {
	var out []string
	for _, line := range schema {
		table := strings.Fields(line)[1]
		if strings.HasPrefix(table, "river_") || strings.HasPrefix(table, goose.DefaultTablename) || table == "sqlite_sequence" {
			out = append(out, line)
		}
	}
	return out
}

func sortedVersions(m map[int64][]string) []int64 {
	var out []int64
	for v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func compareSchemas(t *testing.T, when string, got, want []string) {
	t.Helper()
	for _, line := range want {
		if !slices.Contains(got, line) {
			t.Errorf("%s: missing %s", when, line)
		}
	}
	for _, line := range got {
		if !slices.Contains(want, line) {
			t.Errorf("%s: unexpected %s", when, line)
		}
	}
}

// schemaOf lists the tables, columns, indexes and constraints of the
// database, one sorted line each ("column TABLE NAME TYPE …").
func schemaOf(t *testing.T, db *database.DB) []string {
	t.Helper()
	queries := sqliteSchemaQueries
	if db.Dialect == database.Postgres {
		queries = postgresSchemaQueries
	}
	var out []string
	for _, q := range queries {
		out = append(out, queryLines(t, db, q)...)
	}
	slices.Sort(out)
	return out
}

// Each query's first column is the kind of line, its second the table.
var sqliteSchemaQueries = []string{
	`SELECT 'column', m.name, p.name, p.type, p."notnull", COALESCE(p.dflt_value, 'NULL'), p.pk
	 FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`,
	`SELECT 'index', m.name, l.name, l."unique", l.origin, l.partial,
	        (SELECT group_concat(COALESCE(i.name, 'expr'), ',') FROM (SELECT name FROM pragma_index_info(l.name) ORDER BY seqno) i),
	        COALESCE((SELECT sql FROM sqlite_master WHERE type = 'index' AND name = l.name), '')
	 FROM sqlite_master m, pragma_index_list(m.name) l WHERE m.type = 'table'`,
	`SELECT 'foreign-key', m.name, f."from", f."table", COALESCE(f."to", ''), f.on_delete
	 FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`,
}

var postgresSchemaQueries = []string{
	`SELECT 'column', c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text,
	        COALESCE(pg_get_expr(d.adbin, d.adrelid), 'NULL'), a.attcompression::text
	 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped`,
	`SELECT 'index', t.relname, c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid::text
	 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
	 WHERE t.relnamespace = current_schema()::regnamespace`,
	`SELECT 'constraint', t.relname, k.conname, pg_get_constraintdef(k.oid)
	 FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
	 WHERE t.relnamespace = current_schema()::regnamespace`,
}

// queryLines runs a catalog query and joins each row's values with spaces.
func queryLines(t *testing.T, db *database.DB, query string) []string {
	t.Helper()
	rows, err := db.SQL.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// fillCoreRows stores one tenant, endpoint, event, delivery and attempt
// through the newest schema, each with more than its first migration's
// columns set (an oauth2 endpoint taking PUT, say), as the newest release
// writes them, and a few rows of later tables referencing them.
func fillCoreRows(t *testing.T, db *database.DB) {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exec := func(query string, args ...any) {
		t.Helper()
		if err := db.Gorm.Exec(query, args...).Error; err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	exec(`INSERT INTO tenants (id, name, source_id, created_at, updated_at, previous_inbound_secret_sealed)
		VALUES (1, 'Acme', 'org_acme', ?, ?, 'sealed-prev')`, now, now)
	exec(`INSERT INTO endpoints (id, tenant_id, url, method, auth_type, oauth2_token_url, oauth2_client_id, created_at, updated_at)
		VALUES (1, 1, 'https://ats.example/hook', 'PUT', 'oauth2', 'https://ats.example/token', 'client', ?, ?)`, now, now)
	exec(`INSERT INTO events (id, event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body, duplicates, received_at, candidate_name, video_api_url)
		VALUES (1, 'interview.recording', 'm1', 'org_acme', 1, 1, 'fp1', ?, 1, ?, 'Ada', 'https://api.example/v')`,
		[]byte(`{"data":{"candidateName":"Ada"}}`), now)
	exec(`INSERT INTO deliveries (id, event_id, tenant_id, endpoint_id, status, attempts, created_at, updated_at, webhook_seq, delivered_body_sha256, next_attempt_at)
		VALUES (1, 1, 1, 1, 'pending', 1, ?, ?, 1, 'abc', ?)`, now, now, now)
	exec(`INSERT INTO attempts (id, delivery_id, tenant_id, number, started_at, duration_ms, status_code, request_headers)
		VALUES (1, 1, 1, 1, ?, 12, 503, '{}')`, now)
	// Rows referencing those, so a Down that rebuilds a table (00016 on
	// SQLite) must keep its references whole.
	exec("INSERT INTO recording_links (event_id, tenant_id, created_at) VALUES (1, 1, ?)", now)
	exec("INSERT INTO mapping_versions (tenant_id, endpoint_id, number, spec, created_at) VALUES (1, 1, 1, '{}', ?)", now)
	exec("INSERT INTO held_deliveries_log (tenant_id, source_id, events, actor, created_at) VALUES (1, 'org_acme', 1, 'admin', ?)", now)
	exec("INSERT INTO correlations (tenant_id, meeting_code, created_at, updated_at) VALUES (1, 'm1', ?, ?)", now, now)
}

// coreRows lists what the first migration's columns hold for the rows
// fillCoreRows stored: every version keeps them.
func coreRows(t *testing.T, db *database.DB) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		"SELECT 'tenant', id, name, source_id, status FROM tenants ORDER BY id",
		"SELECT 'endpoint', id, tenant_id, url, enabled, subscriptions FROM endpoints ORDER BY id",
		"SELECT 'event', id, event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body, duplicates FROM events ORDER BY id",
		"SELECT 'delivery', id, event_id, tenant_id, endpoint_id, status, attempts FROM deliveries ORDER BY id",
		"SELECT 'attempt', id, delivery_id, tenant_id, number, duration_ms, status_code FROM attempts ORDER BY id",
	} {
		out = append(out, queryLines(t, db, q)...)
	}
	return out
}

// checkSQLiteForeignKeys: a step left foreign keys on and nothing dangling.
func checkSQLiteForeignKeys(t *testing.T, db *database.DB) {
	t.Helper()
	if db.Dialect != database.SQLite {
		return
	}
	if on := count(t, db, "PRAGMA foreign_keys"); on != 1 {
		t.Errorf("PRAGMA foreign_keys = %d, want 1", on)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM pragma_foreign_key_check"); n != 0 {
		t.Errorf("PRAGMA foreign_key_check lists %d violations", n)
	}
}

// TestMigrateDownRefuses: down never goes up, and a database never
// migrated has nothing to roll back (and gets no version table).
func TestMigrateDownRefuses(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			ctx := context.Background()
			empty := openEmpty(t, target.URL)
			if err := empty.MigrateDown(ctx, 0, nil); err == nil || !strings.Contains(err.Error(), "ever applied") {
				t.Fatalf("down on a database never migrated: err = %v, want a refusal", err)
			}
			if n := len(schemaOf(t, empty)); n != 0 {
				t.Fatalf("refused down left %d schema lines, want none", n)
			}
			db := testdb.Open(t, target.URL)
			current := appliedVersion(t, db)
			for _, to := range []int64{current + 1, -1} {
				if err := db.MigrateDown(ctx, to, nil); err == nil {
					t.Errorf("down --to %d at %d: no error, want a refusal", to, current)
				}
			}
			var out bytes.Buffer
			if err := db.MigrateDown(ctx, current, &out); err != nil || !strings.Contains(out.String(), "already at version") {
				t.Errorf("down --to the current version: err %v, output %q; want nothing done, said so", err, out.String())
			}
			if got := appliedVersion(t, db); got != current {
				t.Errorf("version %d after the refusals, want %d", got, current)
			}
		})
	}
}

// appliedVersion is the newest of our migrations the database has applied.
func appliedVersion(t *testing.T, db *database.DB) int64 {
	t.Helper()
	var v int64
	if err := db.SQL.QueryRow("SELECT MAX(version_id) FROM " + goose.DefaultTablename).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMigrateDownTakesTheLock: on PostgreSQL, down waits for the lock a
// replica migrating up holds, so the two never run together: while another
// session holds it, down changes nothing and gives up when its context ends.
func TestMigrateDownTakesTheLock(t *testing.T) {
	if os.Getenv(testdb.PostgresEnv) == "" {
		t.Skip(testdb.PostgresEnv + " is not set")
	}
	url := testdb.NewPostgresURL(t)
	db := testdb.Open(t, url)
	current := appliedVersion(t, db)
	holder, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	conn, err := holder.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_lock($1)", database.MigrationLockID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := db.MigrateDown(ctx, current-1, nil); err == nil || !strings.Contains(err.Error(), "migration lock") {
		t.Fatalf("down while another session holds the lock: err = %v, want it to wait for the lock", err)
	}
	if v := appliedVersion(t, db); v != current {
		t.Fatalf("version %d after down gave up waiting for the lock, want %d", v, current)
	}
}
