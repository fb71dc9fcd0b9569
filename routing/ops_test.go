package routing

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type n = json.Number

var opCases = []struct {
	name, op string
	args     []string
	in, want any
	wantErr  string
}{
	{name: "default fills missing", op: "default", args: []string{"unknown"}, in: missing, want: "unknown"},
	{name: "default fills null with a number", op: "default", args: []string{"0"}, in: nil, want: n("0")},
	{name: "default keeps a value", op: "default", args: []string{"x"}, in: "PASS", want: "PASS"},
	{name: "map STRONG_PASS=hire", op: "map", args: []string{"STRONG_PASS=hire", "PASS=hire"}, in: "STRONG_PASS", want: "hire"},
	{name: "map to a number", op: "map", args: []string{"PASS=3"}, in: "PASS", want: n("3")},
	{name: "map fallback", op: "map", args: []string{"PASS=3", "*=null"}, in: "REVIEW", want: nil},
	{name: "map leaves unmatched", op: "map", args: []string{"PASS=3"}, in: "FAIL", want: "FAIL"},
	{name: "map passes missing", op: "map", args: []string{"*=1"}, in: missing, want: missing},
	{name: "convert to string", op: "convert", args: []string{"string"}, in: n("72.0"), want: "72.0"},
	{name: "convert text to number", op: "convert", args: []string{"number"}, in: " 4.5", want: n("4.5")},
	{name: "convert number keeps text", op: "convert", args: []string{"number"}, in: n("72.0"), want: n("72.0")},
	{name: "convert to int rounds", op: "convert", args: []string{"int"}, in: n("72.5"), want: n("73")},
	{name: "convert to id keeps every digit", op: "convert", args: []string{"id"}, in: " 90071992547409931 ", want: n("90071992547409931")},
	{name: "convert number to id", op: "convert", args: []string{"id"}, in: n("4711"), want: n("4711")},
	{name: "convert to id refuses a fraction", op: "convert", args: []string{"id"}, in: "12.5", wantErr: "not a whole number"},
	{name: "convert to id refuses an exponent", op: "convert", args: []string{"id"}, in: n("1e3"), wantErr: "not a whole number"},
	{name: "convert to id refuses text", op: "convert", args: []string{"id"}, in: "abc", wantErr: "not a whole number"},
	{name: "convert to bool", op: "convert", args: []string{"bool"}, in: "yes", want: true},
	{name: "convert rejects bad bool", op: "convert", args: []string{"bool"}, in: "maybe", wantErr: "not a boolean"},
	{name: "convert rejects object to number", op: "convert", args: []string{"number"}, in: newObject(), wantErr: "not a number"},
	{name: "scale 1-5 to 0-100", op: "scale", args: []string{"1", "5", "0", "100"}, in: n("3"), want: n("50")},
	{name: "scale 0-100 to 1-5", op: "scale", args: []string{"0", "100", "1", "5"}, in: n("72"), want: n("3.88")},
	{name: "scale out of range", op: "scale", args: []string{"0", "1e-300", "0", "1e300"}, in: n("1e300"), wantErr: "out of range"},
	{name: "scale rejects text", op: "scale", args: []string{"1", "5", "0", "100"}, in: "high", wantErr: "not a number"},
	{name: "round", op: "round", in: n("3.6"), want: n("4")},
	{name: "round to 1 digit", op: "round", args: []string{"1"}, in: n("3.66"), want: n("3.7")},
	{name: "round rejects bool", op: "round", in: true, wantErr: "not a number"},
	{name: "date to date", op: "date", args: []string{"date"}, in: "2026-03-21T18:35:00.000Z", want: "2026-03-21"},
	{name: "date to unix", op: "date", args: []string{"unix"}, in: "2026-03-21T18:35:00.000Z", want: n("1774118100")},
	{name: "date from unix_ms", op: "date", args: []string{"rfc3339", "unix_ms"}, in: n("1774118100000"), want: "2026-03-21T18:35:00Z"},
	{name: "date with Go layout", op: "date", args: []string{"02 Jan 2006 15:04"}, in: "2026-03-21T18:35:00Z", want: "21 Mar 2026 18:35"},
	{name: "date rejects garbage", op: "date", args: []string{"date"}, in: "yesterday", wantErr: "not a time"},
	{name: "join default", op: "join", in: []any{"a", "b"}, want: "a, b"},
	{name: "join with sep", op: "join", args: []string{"; "}, in: []any{"a", n("2")}, want: "a; 2"},
	{name: "join rejects objects", op: "join", in: []any{newObject()}, wantErr: "scalars"},
	{name: "join rejects text", op: "join", in: "a", wantErr: "not an array"},
	{name: "split", op: "split", args: []string{","}, in: "a,b", want: []any{"a", "b"}},
	{name: "split rejects numbers", op: "split", args: []string{","}, in: n("1"), wantErr: "not a string"},
	{name: "lower", op: "lower", in: "PASS", want: "pass"},
	{name: "lower rejects numbers", op: "lower", in: n("3"), wantErr: "not a string"},
	{name: "upper", op: "upper", in: "pass", want: "PASS"},
	{name: "upper rejects numbers", op: "upper", in: n("3"), wantErr: "not a string"},
	{name: "trim", op: "trim", in: "  a ", want: "a"},
	{name: "trim rejects null", op: "trim", in: nil, wantErr: "not a string"},
	{name: "truncate runes", op: "truncate", args: []string{"3"}, in: "héllo", want: "hél"},
	{name: "truncate with suffix", op: "truncate", args: []string{"4", "…"}, in: "hello", want: "hel…"},
	{name: "truncate short text", op: "truncate", args: []string{"10"}, in: "hi", want: "hi"},
	{name: "truncate rejects arrays", op: "truncate", args: []string{"1"}, in: []any{}, wantErr: "not a string"},
	{name: "first", op: "first", in: []any{"a", "b"}, want: "a"},
	{name: "first of empty is missing", op: "first", in: []any{}, want: missing},
	{name: "first rejects text", op: "first", in: "a", wantErr: "not an array"},
	{name: "omit_if_empty drops empty text", op: "omit_if_empty", in: "", want: missing},
	{name: "omit_if_empty drops null", op: "omit_if_empty", in: nil, want: missing},
	{name: "omit_if_empty keeps zero", op: "omit_if_empty", in: n("0"), want: n("0")},
}

func TestOps(t *testing.T) {
	for _, tc := range opCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := checkOp(tc.op, tc.args); err != nil {
				t.Fatalf("checkOp: %v", err)
			}
			got, err := apply(tc.op, tc.args, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v (err %v), want %#v", got, err, tc.want)
			}
		})
	}
}

// TestEveryOpHasCases: an operation added to ops without rows in opCases fails here.
func TestEveryOpHasCases(t *testing.T) {
	have := map[string]int{}
	for _, tc := range opCases {
		have[tc.op]++
	}
	for name := range ops {
		if have[name] < 2 {
			t.Errorf("operation %q has %d rows in opCases, want at least 2", name, have[name])
		}
	}
	if len(Ops()) != len(ops) {
		t.Errorf("Ops() lists %d operations, want %d", len(Ops()), len(ops))
	}
}

func TestCheckOpRefusesMisuse(t *testing.T) {
	cases := []struct {
		name, op string
		args     []string
		wantErr  string
	}{
		{"unknown", "uper", nil, `unknown operation "uper"`},
		{"too few", "scale", []string{"1", "5"}, "scale takes 4 arguments, got 2 (1 5); usage: scale A B C D"},
		{"commas are one argument", "scale", []string{"1,5,0,100"}, "scale takes 4 arguments, got 1 (1,5,0,100); usage: scale A B C D"},
		{"none", "default", nil, "default takes 1 argument, got none; usage: default VALUE"},
		{"too many", "upper", []string{"x"}, "upper takes no arguments, got 1 (x); usage: upper"},
		{"too many optional", "join", []string{"; ", "x"}, `join takes at most 1 argument, got 2 ("; " x); usage: join [SEP]`},
		{"range", "date", []string{"a", "b", "c"}, "date takes 1 to 2 arguments, got 3 (a b c); usage: date OUT [IN]"},
		{"bad convert", "convert", []string{"date"}, "want string, number, int, id or bool"},
		{"scale not numbers", "scale", []string{"a", "5", "0", "100"}, "argument 1"},
		{"scale empty range", "scale", []string{"1", "1", "0", "100"}, "must differ"},
		{"map without =", "map", []string{"PASS"}, "has no '='"},
		{"truncate negative", "truncate", []string{"-1"}, "whole number"},
		{"split empty sep", "split", []string{""}, "separator is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkOp(tc.op, tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}
