package routing

import (
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"

	"github.com/itchyny/gojq"
)

// gojq stops a program between steps when its deadline passes, but a single
// step may allocate without bound: "x" * 1e9 builds a 1 GB string and
// .[5e8] = 1 an 8 GB array before the deadline is looked at again, and the
// final encoding of [range(1e5) | $big] (one large string referenced many
// times) is as large as it looks. guardJQ rewrites the parsed program so
// those steps check their size first and fail the mapping with a clear
// error; jsonSizeOver bounds the output before it is encoded. Still
// unbounded inside one step: builtins that concatenate many references to
// one large value ([range(1e5) | $big] | join(",") or tojson); jq mappings
// are written by admins, and only a process limit would bound those.

const (
	// maxJQIndex is the largest array index a jq mapping may use: assigning
	// past an array's end pads it with nulls, one 16-byte slot each.
	maxJQIndex = 100_000
	// maxJQDepth bounds the nesting of a jq output: encoding recurses once
	// per level (reduce range(2e5) as $i (null; [.]) is built within the
	// deadline and took 256 MB of stack to encode). A Go receiver's decoder
	// refuses more than 10000 levels anyway.
	maxJQDepth = 10_000
	// The functions and the variable guardJQ's rewrites use.
	guardMul, guardIndex, guardStream, guardVar = "_switchboard_mul", "_switchboard_index", "_switchboard_stream", "$__switchboard_x"
)

// jqGuardOptions registers the functions guardJQ's rewrites call.
var jqGuardOptions = []gojq.CompilerOption{
	gojq.WithFunction(guardMul, 2, 2, func(_ any, args []any) any { return guardedMultiply(args[0], args[1]) }),
	gojq.WithFunction(guardIndex, 0, 0, func(v any, _ []any) any { return checkIndexes(v) }),
	gojq.WithFunction(guardStream, 0, 0, func(v any, _ []any) any {
		if ev, ok := v.([]any); ok && len(ev) > 0 {
			if err, isErr := checkIndexes(ev[0]).(error); isErr {
				return err
			}
		}
		return v
	}),
}

// multiplyCode is jq's own * (compiled without the guard), which
// guardedMultiply calls once the operands are known to be safe.
var multiplyCode = func() *gojq.Code {
	q, err := gojq.Parse("$l * $r")
	if err != nil {
		panic(err)
	}
	code, err := gojq.Compile(q, gojq.WithVariables([]string{"$l", "$r"}))
	if err != nil {
		panic(err)
	}
	return code
}()

// guardedMultiply is jq's l * r, refusing a string repetition longer than
// maxOutputBytes (a mapping's whole output may not be longer).
func guardedMultiply(l, r any) any {
	s, isStr := l.(string)
	n := r
	if !isStr {
		s, isStr = r.(string)
		n = l
	}
	if isStr {
		if f, isNum := jqFloat(n); isNum && f > 0 && float64(len(s))*f > maxOutputBytes {
			return fmt.Errorf("string repetition (%d bytes × %v) is longer than %d bytes", len(s), n, maxOutputBytes)
		}
	}
	v, ok := multiplyCode.Run(nil, l, r).Next()
	if !ok {
		return nil
	}
	return v
}

// checkIndexes returns v, or an error when v (an index, or a path array
// for getpath, setpath or a stream event) holds an array index past maxJQIndex.
func checkIndexes(v any) any {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err, isErr := checkIndexes(e).(error); isErr {
				return err
			}
		}
	default:
		if f, ok := jqFloat(x); ok && f > maxJQIndex {
			return fmt.Errorf("array index %v is larger than %d", x, maxJQIndex)
		}
	}
	return v
}

// jqFloat is a gojq number as a float64.
func jqFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

var (
	queryType = reflect.TypeFor[*gojq.Query]()
	indexType = reflect.TypeFor[*gojq.Index]()
	funcPtr   = reflect.TypeFor[*gojq.Func]()
)

// guardJQ rewrites q in place: a * b calls guardMul, a *= b binds b and
// updates with guardMul, every computed array index passes guardIndex, and
// so do the paths given to getpath and setpath and the events fromstream
// rebuilds from.
func guardJQ(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		guardJQ(v.Elem())
		switch v.Type() {
		case queryType:
			guardQuery(v.Interface().(*gojq.Query))
		case indexType:
			ix := v.Interface().(*gojq.Index)
			if ix.Start != nil && !ix.IsSlice && !smallLiteral(ix.Start) {
				ix.Start = pipe(ix.Start, guardIndex)
			}
		case funcPtr:
			f := v.Interface().(*gojq.Func)
			switch {
			case (f.Name == "getpath" && len(f.Args) == 1) || (f.Name == "setpath" && len(f.Args) == 2):
				f.Args[0] = pipe(f.Args[0], guardIndex)
			case f.Name == "fromstream" && len(f.Args) == 1:
				f.Args[0] = pipe(f.Args[0], guardStream)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			guardJQ(v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				guardJQ(v.Field(i))
			}
		}
	}
}

func guardQuery(q *gojq.Query) {
	switch q.Op {
	case gojq.OpMul:
		*q = gojq.Query{FuncDefs: q.FuncDefs, Term: call(guardMul, q.Left, q.Right)}
	case gojq.OpUpdateMul:
		// l *= r is r as $x | l |= . * $x (r sees the original input).
		update := &gojq.Query{Op: gojq.OpModify, Left: q.Left,
			Right: &gojq.Query{Term: call(guardMul, &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeIdentity}},
				&gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: guardVar}}})}}
		*q = gojq.Query{FuncDefs: q.FuncDefs, Op: gojq.OpPipe, Left: q.Right, Right: update,
			Patterns: []*gojq.Pattern{{Name: guardVar}}}
	}
}

func call(name string, args ...*gojq.Query) *gojq.Term {
	return &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: name, Args: args}}
}

func pipe(q *gojq.Query, fn string) *gojq.Query {
	return &gojq.Query{Op: gojq.OpPipe, Left: q, Right: &gojq.Query{Term: call(fn)}}
}

// smallLiteral: q is a number literal no larger than maxJQIndex (left as
// is, so gojq keeps its fast path for constant paths).
func smallLiteral(q *gojq.Query) bool {
	if q.Term == nil || q.Term.Type != gojq.TermTypeNumber || len(q.Term.SuffixList) > 0 || len(q.FuncDefs) > 0 {
		return false
	}
	f, err := json.Number(q.Term.Number).Float64()
	return err == nil && f <= maxJQIndex
}

// jsonSizeOver reports whether v's JSON encoding is certainly longer than
// limit (or nests deeper than maxJQDepth: deep), walking only as far as it
// takes to tell.
func jsonSizeOver(v any, limit int) (over, deep bool) {
	n, deep := jsonSize(v, limit)
	return n > limit, deep
}

// jsonSizeAtLeast is a lower bound of the length of v's JSON encoding
// (every string counts its bytes and quotes, every other value one byte),
// for gojq values and the rules' ordered trees; it stops counting past
// limit, and counts a value nested deeper than maxJQDepth as past limit.
func jsonSizeAtLeast(v any, limit int) int {
	n, _ := jsonSize(v, limit)
	return n
}

func jsonSize(v any, limit int) (n int, deep bool) {
	var walk func(v any, depth int) bool
	walk = func(v any, depth int) bool {
		if depth > maxJQDepth {
			n, deep = limit+1, true
			return false
		}
		switch x := v.(type) {
		case string:
			n += len(x) + 2
		case json.Number:
			n += len(x)
		case []any:
			n += 2
			for _, e := range x {
				n++
				if !walk(e, depth+1) {
					return false
				}
			}
		case map[string]any:
			n += 2
			for k, e := range x {
				n += len(k) + 4
				if !walk(e, depth+1) {
					return false
				}
			}
		case *object:
			n += 2
			for _, k := range x.keys {
				n += len(k) + 4
				if !walk(x.vals[k], depth+1) {
					return false
				}
			}
		default:
			n++
		}
		return n <= limit
	}
	walk(v, 0)
	return n, deep
}
