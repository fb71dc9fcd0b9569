package routing

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

// TestJQSingleStepBounds: the jq steps the deadline cannot interrupt (a
// string repetition, an assignment far past an array's end, encoding one
// large value referenced many times) fail the mapping with a clear error
// before they allocate. Each case would allocate 100–200 MB unguarded;
// not parallel, so the allocation count is this case's own.
func TestJQSingleStepBounds(t *testing.T) {
	const budget = 32 << 20
	cases := []struct{ name, program, wantErr string }{
		{"string times number", `{a: ("x" * 1e8 | length)}`, "string repetition (1 bytes × 1e+08) is longer than 4194304 bytes"},
		{"number times string", `{a: (5e7 * "ab" | length)}`, "string repetition (2 bytes × 5e+07) is longer than"},
		{"*= on a string", `{a: (.data.title | . *= 3e6 | length)}`, "string repetition (34 bytes × 3e+06)"},
		{"assignment past the end", `{a: (null | .[1e7] = 1 | length)}`, "array index 1e+07 is larger than 100000"},
		{"computed index", `{a: (null | .[1e6 * 10] |= 1 | length)}`, "array index 1e+07 is larger than 100000"},
		{"setpath", `{a: (null | setpath([1e7]; 1) | length)}`, "array index 1e+07 is larger than 100000"},
		{"pick of getpath", `{a: (null | pick(getpath(["x", 1e7])) | .x | length)}`, "array index 1e+07 is larger than 100000"},
		{"fromstream", `{a: (fromstream([[1e7], 1], [[1e7]]) | length)}`, "array index 1e+07 is larger than 100000"},
		{"deep nesting", `{a: reduce range(2e4) as $i (null; [.])}`, "jq output nests deeper than 10000 levels"},
		{"one string referenced many times", `("x" | until(length >= 1048576; . + .)) as $b | {a: [range(200) | $b]}`,
			"jq output is larger than 4194304 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCompile(t, `{"mode":"jq","program":`+tmplJSON(tc.program)+`}`)
			in := sampleInput(t, "evaluation")
			stackBefore := stackInUse()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			out, err := c.Apply(context.Background(), in, nil)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %.80s (err %v), want an error mentioning %q", out, err, tc.wantErr)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > budget {
				t.Fatalf("allocated %d MB, want at most %d MB", n>>20, budget>>20)
			}
			if n := after.StackInuse - stackBefore; after.StackInuse > stackBefore && n > budget {
				t.Fatalf("stacks grew by %d MB, want at most %d MB", n>>20, budget>>20)
			}
		})
	}
}

// TestJQGuardKeepsSemantics: the rewritten operators and paths give what
// jq gives (generator order, deep merge, *=, small indexes, streams).
func TestJQGuardKeepsSemantics(t *testing.T) {
	cases := []struct{ program, want string }{
		{`{a: ("ab" * 3), b: (3 * "ab"), c: (2 * 3), d: ({x: {y: 1}} * {x: {z: 2}}), e: ("x" * 0), f: ("x" * -1)}`,
			`{"a":"ababab","b":"ababab","c":6,"d":{"x":{"y":1,"z":2}},"e":"","f":null}`},
		{`{a: [(1, 2) * (10, 20)], b: [("a", "b") * (2, 3)]}`, `{"a":[10,20,20,40],"b":["aa","bb","aaa","bbb"]}`},
		{`{a: [.data.scores.overall *= (2, 3) | .data.scores.overall], b: ([1] | .[0] *= 3)}`, `{"a":[144,216],"b":[3]}`},
		{`{a: (try ("x" * "y") catch .)}`, `{"a":"cannot multiply: string (\"x\") and string (\"y\")"}`},
		{`{a: (null | .[3] = 1), b: ([1, 2, 3] | [.[1 + 0], .[-1]]), c: path(.data.skillsAssessment[1 - 1])}`,
			`{"a":[null,null,null,1],"b":[2,3],"c":["data","skillsAssessment",0]}`},
		{`{a: ([[1, [2]]] | [tostream] | fromstream(.[])), b: ({a: [1, 2]} | pick(.a[1])), c: ([1, 2] | path(getpath([1])))}`,
			`{"a":[[1,[2]]],"b":{"a":[null,2]},"c":[1]}`},
	}
	for _, tc := range cases {
		t.Run(tc.program, func(t *testing.T) {
			t.Parallel()
			c := mustCompile(t, `{"mode":"jq","program":`+tmplJSON(tc.program)+`}`)
			out, err := c.Apply(context.Background(), sampleInput(t, "evaluation"), nil)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			_ = json.Unmarshal(out, &got)
			_ = json.Unmarshal([]byte(tc.want), &want)
			if gb, _ := json.Marshal(got); string(gb) != string(mustJSON(t, want)) {
				t.Fatalf("got %s, want %s", out, tc.want)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func stackInUse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.StackInuse
}
