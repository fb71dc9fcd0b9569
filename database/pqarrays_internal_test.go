package database

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/lib/pq"
)

type jobState string

// pqArrayCases are the parameters River's database/sql driver sends, and
// the awkward values lib/pq's text form has to escape.
func pqArrayCases() []struct {
	name  string
	oid   uint32
	value any
} {
	at := time.Date(2026, 11, 26, 17, 4, 5, 123456000, time.FixedZone("x", 5*3600+1800))
	return []struct {
		name  string
		oid   uint32
		value any
	}{
		{"jsonb args", pgtype.JSONBArrayOID, pq.Array([]string{`{"delivery_id":42}`, `{"s":"a,b \"c\" \\ {}"}`, "{}"})},
		{"text with quotes and unicode", pgtype.TextArrayOID, pq.Array([]string{"NULL", "", `"`, "a,b", "ünï 💡", `\`})},
		{"timestamptz (and River's zero-time sentinel)", pgtype.TimestamptzArrayOID, pq.Array([]time.Time{at, at.UTC().Add(time.Hour), {}})},
		{"smallint", pgtype.Int2ArrayOID, pq.Array([]int16{25, -3, 0})},
		{"smallint into bigint", pgtype.Int8ArrayOID, pq.Array([]int16{7})},
		{"integer", pgtype.Int4ArrayOID, pq.Array([]int32{0, 1 << 20})},
		{"bigint", pgtype.Int8ArrayOID, pq.Array([]int64{1, -1 << 40})},
		{"bytea with nil and empty", pgtype.ByteaArrayOID, pq.Array([][]byte{nil, {}, {0, 1, 0xff}})},
		{"bool", pgtype.BoolArrayOID, pq.Array([]bool{true, false})},
		{"float8", pgtype.Float8ArrayOID, pq.Array([]float64{1.5, -0.25})},
		{"named string type as text", pgtype.TextArrayOID, pq.Array([]jobState{"available", "completed"})},
		{"empty", pgtype.Int8ArrayOID, pq.Array([]int64{})},
		{"nil slice", pgtype.TextArrayOID, pq.Array([]string(nil))},
		{"plain StringArray", pgtype.TextArrayOID, pq.StringArray{"x", "y"}},
	}
}

// TestPQArrayEncodingMatchesTextForm: with the hook, every lib/pq array
// encodes to the same bytes as pgx's own path through lib/pq's text form.
func TestPQArrayEncodingMatchesTextForm(t *testing.T) {
	plain, hooked := pgtype.NewMap(), pgtype.NewMap()
	addEncodeHooks(hooked)
	for _, tc := range pqArrayCases() {
		t.Run(tc.name, func(t *testing.T) {
			want, err := plain.Encode(tc.oid, pgtype.BinaryFormatCode, tc.value, nil)
			if err != nil {
				t.Fatalf("through the text form: %v", err)
			}
			got, err := hooked.Encode(tc.oid, pgtype.BinaryFormatCode, tc.value, nil)
			if err != nil {
				t.Fatalf("through the slice: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encodings differ:\nslice %x\ntext  %x", got, want)
			}
		})
	}
}

// TestPQArrayEncodingUsesSlice: the hook's plan is the one pgx picks for
// every case above except the one whose element type pgx cannot encode on
// its own, so the test above really compares two paths.
func TestPQArrayEncodingUsesSlice(t *testing.T) {
	m := pgtype.NewMap()
	addEncodeHooks(m)
	for _, tc := range pqArrayCases() {
		_, hooked := m.PlanEncode(tc.oid, pgtype.BinaryFormatCode, tc.value).(*pqArrayPlan)
		if !hooked {
			t.Errorf("%s: pgx planned %T, not the slice", tc.name, m.PlanEncode(tc.oid, pgtype.BinaryFormatCode, tc.value))
		}
	}
}

// TestPQArrayEncodingOtherSliceType: pgx reuses one plan per parameter type
// and Go type; a GenericArray wrapping another slice type than the one
// planned is refused with an error, never a panic or a wrong encoding.
func TestPQArrayEncodingOtherSliceType(t *testing.T) {
	m := pgtype.NewMap()
	addEncodeHooks(m)
	if _, err := m.Encode(pgtype.Int8ArrayOID, pgtype.BinaryFormatCode, pq.GenericArray{A: []int16{1}}, nil); err != nil {
		t.Fatalf("first encode: %v", err)
	}
	_, err := m.Encode(pgtype.Int8ArrayOID, pgtype.BinaryFormatCode, pq.GenericArray{A: []int64{1}}, nil)
	if err == nil {
		t.Fatal("a GenericArray of another slice type was encoded with the first one's plan")
	}
}

func BenchmarkPQArrayEncoding(b *testing.B) {
	now := time.Now()
	params := []struct {
		oid   uint32
		value any
	}{
		{pgtype.JSONBArrayOID, pq.Array([]string{`{"delivery_id":1}`, `{"delivery_id":2}`, `{"delivery_id":3}`, `{"delivery_id":4}`})},
		{pgtype.TimestamptzArrayOID, pq.Array([]time.Time{now, now, now, now})},
		{pgtype.TextArrayOID, pq.Array([]string{"deliver", "deliver", "deliver", "deliver"})},
		{pgtype.Int2ArrayOID, pq.Array([]int16{25, 25, 25, 25})},
		{pgtype.ByteaArrayOID, pq.Array([][]byte{nil, nil, nil, nil})},
		{pgtype.Int4ArrayOID, pq.Array([]int32{0, 0, 0, 0})},
	}
	for _, hook := range []bool{false, true} {
		name := "text-form"
		if hook {
			name = "slice"
		}
		b.Run(name, func(b *testing.B) {
			m := pgtype.NewMap()
			if hook {
				addEncodeHooks(m)
			}
			buf := make([]byte, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range params {
					var err error
					if _, err = m.Encode(p.oid, pgtype.BinaryFormatCode, p.value, buf[:0]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// openTestPostgres opens the test server's database (closed when t ends),
// or skips t without one: the array encodings are PostgreSQL's alone.
func openTestPostgres(t *testing.T) *DB {
	t.Helper()
	url := os.Getenv("SWITCHBOARD_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("SWITCHBOARD_TEST_POSTGRES_URL is not set (SQLite has no arrays)")
	}
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestPostgresConnectionsUseSliceEncoding: every connection of the pool
// GORM and River share has the hook, and River's own statement shape
// (unnest of each array parameter) stores what was sent.
func TestPostgresConnectionsUseSliceEncoding(t *testing.T) {
	ctx := context.Background()
	db := openTestPostgres(t)
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(driverConn any) error {
		m := driverConn.(*stdlib.Conn).Conn().TypeMap()
		if _, ok := m.PlanEncode(pgtype.TextArrayOID, pgtype.BinaryFormatCode, pq.Array([]string{"a"})).(*pqArrayPlan); !ok {
			t.Error("a pool connection encodes lib/pq arrays through their text form")
		}
		if _, ok := m.PlanEncode(pgtype.ByteaArrayOID, pgtype.BinaryFormatCode, ByteaArray{{1}}).(*byteaArrayPlan); !ok {
			t.Error("a pool connection does not size ByteaArray parameters")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 17, 4, 5, 123456000, time.UTC)
	var args, when string
	var prio int
	var key []byte
	err = conn.QueryRowContext(ctx, `SELECT unnest($1::jsonb[])::text, unnest($2::timestamptz[])::text,
		unnest($3::smallint[]), nullif(unnest($4::bytea[]), '')`,
		pq.Array([]string{`{"delivery_id": 7, "s": "a,\"b\""}`}), pq.Array([]time.Time{at}),
		pq.Array([]int16{25}), pq.Array([][]byte{nil})).Scan(&args, &when, &prio, &key)
	if err != nil {
		t.Fatal(err)
	}
	if args != `{"s": "a,\"b\"", "delivery_id": 7}` || !strings.HasPrefix(when, "2026-11-26") || prio != 25 || key != nil {
		t.Errorf("stored %s | %s | %d | %x", args, when, prio, key)
	}
}
