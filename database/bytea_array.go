package database

import (
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgtype"
)

// ByteaArray is a bytea[] parameter of large elements (a group commit's
// event bodies). pgx encodes parameters into a buffer it shrinks back to
// 256 bytes after every statement, and appends each element to it, so a
// batch of bodies regrew that buffer by doubling on every commit: about
// twice the bodies' size allocated and copied. Passed as a ByteaArray, the
// buffer is grown once to the array's encoded size, and pgx's own plan
// for [][]byte writes the same bytes into it.
type ByteaArray [][]byte

// byteaArrayOverhead is the binary array header (dimensions, flags, element
// type, length and lower bound) plus slack; each element adds 4 bytes.
const byteaArrayOverhead = 32

// tryWrapByteaArray offers the [][]byte inside a ByteaArray for pgx to plan.
func tryWrapByteaArray(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if v, ok := value.(ByteaArray); ok {
		return &byteaArrayPlan{}, [][]byte(v), true
	}
	return nil, nil, false
}

// byteaArrayPlan sizes the buffer for the whole array, then encodes it
// through the plan pgx made for [][]byte.
type byteaArrayPlan struct{ next pgtype.EncodePlan }

func (p *byteaArrayPlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *byteaArrayPlan) Encode(value any, buf []byte) ([]byte, error) {
	v, ok := value.(ByteaArray)
	if !ok {
		return nil, fmt.Errorf("bytea array: cannot encode %T", value)
	}
	size := byteaArrayOverhead
	for _, e := range v {
		size += 4 + len(e)
	}
	return p.next.Encode([][]byte(v), slices.Grow(buf, size))
}
