package database

import (
	"bytes"
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// byteaBodies are n bodies of size bytes each, every byte value present.
func byteaBodies(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, size)
		for j := range out[i] {
			out[i][j] = byte(i + j)
		}
	}
	return out
}

// TestByteaArrayEncodingMatchesSlice: a ByteaArray encodes to the bytes
// pgx writes for the plain [][]byte, in both formats, NULL and empty
// elements included.
func TestByteaArrayEncodingMatchesSlice(t *testing.T) {
	plain, hooked := pgtype.NewMap(), pgtype.NewMap()
	addEncodeHooks(hooked)
	for name, v := range map[string][][]byte{
		"bodies":         byteaBodies(10, 11_700),
		"nil and empty":  {nil, {}, {0, 1, 0xff}},
		"empty array":    {},
		"one large body": byteaBodies(1, 55_000),
	} {
		for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
			want, err := plain.Encode(pgtype.ByteaArrayOID, format, v, nil)
			if err != nil {
				t.Fatalf("%s: plain: %v", name, err)
			}
			got, err := hooked.Encode(pgtype.ByteaArrayOID, format, ByteaArray(v), make([]byte, 0, 256))
			if err != nil {
				t.Fatalf("%s: ByteaArray: %v", name, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s, format %d: ByteaArray encodes %d bytes unlike the slice's %d", name, format, len(got), len(want))
			}
		}
	}
}

// TestByteaArrayEncodingGrowsOnce: from pgx's 256-byte buffer, the
// bodies' encoding allocates once instead of doubling its way up.
func TestByteaArrayEncodingGrowsOnce(t *testing.T) {
	m := pgtype.NewMap()
	addEncodeHooks(m)
	bodies := byteaBodies(10, 11_700)
	allocs := func(value any) float64 {
		return testing.AllocsPerRun(20, func() {
			if _, err := m.Encode(pgtype.ByteaArrayOID, pgtype.BinaryFormatCode, value, make([]byte, 0, 256)); err != nil {
				t.Fatal(err)
			}
		})
	}
	plain, sized := allocs(bodies), allocs(ByteaArray(bodies))
	if sized >= plain {
		t.Errorf("ByteaArray: %.0f allocations per encoding, the plain slice %.0f; want fewer", sized, plain)
	}
}

// TestPostgresStoresByteaArray: through a pool connection, a ByteaArray
// parameter arrives as the bytes sent (NULL stays NULL).
func TestPostgresStoresByteaArray(t *testing.T) {
	ctx := context.Background()
	db := openTestPostgres(t)
	sent := append(byteaBodies(3, 20_000), nil, []byte{})
	rows, err := db.SQL.QueryContext(ctx, `SELECT b FROM unnest($1::bytea[]) WITH ORDINALITY AS u(b, i) ORDER BY i`, ByteaArray(sent))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sent) {
		t.Fatalf("got %d elements, sent %d", len(got), len(sent))
	}
	for i := range sent {
		if !bytes.Equal(got[i], sent[i]) || (sent[i] == nil) != (got[i] == nil) {
			t.Errorf("element %d: got %d bytes (nil %v), sent %d (nil %v)", i, len(got[i]), got[i] == nil, len(sent[i]), sent[i] == nil)
		}
	}
}

func BenchmarkByteaArrayEncoding(b *testing.B) {
	m := pgtype.NewMap()
	addEncodeHooks(m)
	bodies := byteaBodies(10, 11_700) // a group commit of ten average bodies
	for name, value := range map[string]any{"slice": bodies, "sized": ByteaArray(bodies)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Encode(pgtype.ByteaArrayOID, pgtype.BinaryFormatCode, value, make([]byte, 0, 256)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
