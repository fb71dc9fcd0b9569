package database

import (
	"fmt"
	"reflect"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/lib/pq"
)

// River's database/sql driver passes its batch parameters (job inserts,
// completions) as lib/pq arrays. pgx encodes such a value by asking it for
// its text form and parsing that back into an array before writing it in
// binary: about a quarter of the ingest path's CPU at 500 events/s. The
// hook below hands pgx the slice inside instead, which it encodes in
// binary directly. The values sent are the same; a parameter pgx cannot
// encode from the slice (an enum array, whose type pgx does not know)
// still goes through the text form.

// addEncodeHooks puts the hooks first among m's encode wrappers: this
// one and the pre-sized ByteaArray (bytea_array.go).
func addEncodeHooks(m *pgtype.Map) {
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapPQArray, tryWrapByteaArray}, m.TryWrapEncodePlanFuncs...)
}

// tryWrapPQArray offers the slice inside a lib/pq array for pgx to plan.
func tryWrapPQArray(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	inner, ok := pqArrayElems(value)
	if !ok {
		return nil, nil, false
	}
	return &pqArrayPlan{planned: reflect.TypeOf(inner)}, inner, true
}

// pqArrayElems returns the slice a lib/pq array wraps.
func pqArrayElems(value any) (any, bool) {
	switch v := value.(type) {
	case pq.GenericArray:
		if v.A == nil || reflect.TypeOf(v.A).Kind() != reflect.Slice {
			return nil, false // pointers to slices and nil keep lib/pq's own path
		}
		return v.A, true
	case *pq.StringArray:
		return deref(v)
	case *pq.ByteaArray:
		if v == nil {
			return nil, false
		}
		return byteaElems(*v), true
	case *pq.Int64Array:
		return deref(v)
	case *pq.Int32Array:
		return deref(v)
	case *pq.BoolArray:
		return deref(v)
	case *pq.Float64Array:
		return deref(v)
	case pq.StringArray:
		return []string(v), true
	case pq.ByteaArray:
		return byteaElems(v), true
	case pq.Int64Array:
		return []int64(v), true
	case pq.Int32Array:
		return []int32(v), true
	case pq.BoolArray:
		return []bool(v), true
	case pq.Float64Array:
		return []float64(v), true
	}
	return nil, false
}

// byteaElems is v with nil elements as empty ones: lib/pq writes a nil
// element as an empty bytea, not NULL (River relies on it: nullif(…, ”)).
func byteaElems(v pq.ByteaArray) [][]byte {
	for i, e := range v {
		if e == nil {
			out := make([][]byte, len(v))
			copy(out, v)
			for j := i; j < len(out); j++ {
				if out[j] == nil {
					out[j] = []byte{}
				}
			}
			return out
		}
	}
	return v
}

// deref unwraps a pointer to a lib/pq array type into its plain slice type.
func deref[A ~[]E, E any](p *A) (any, bool) {
	if p == nil {
		return nil, false
	}
	return []E(*p), true
}

// pqArrayPlan encodes a lib/pq array through the plan pgx made for the
// slice inside it.
type pqArrayPlan struct {
	planned reflect.Type
	next    pgtype.EncodePlan
}

func (p *pqArrayPlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *pqArrayPlan) Encode(value any, buf []byte) ([]byte, error) {
	inner, ok := pqArrayElems(value)
	if !ok {
		return nil, fmt.Errorf("lib/pq array: cannot encode %T", value)
	}
	// pgx reuses a plan for every value of the same Go type and parameter
	// type; a GenericArray may wrap another slice type than the one
	// planned, which the next plan cannot take.
	if t := reflect.TypeOf(inner); t != p.planned {
		return nil, fmt.Errorf("lib/pq array: %s where %s was planned for this parameter", t, p.planned)
	}
	return p.next.Encode(inner, buf)
}
