package routing

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// op is one rule operation. minArgs/maxArgs bound its arguments (maxArgs
// -1: any number); check validates the arguments when a mapping is saved;
// fn transforms a value when an event is rendered.
type op struct {
	minArgs, maxArgs int
	usage, help      string
	check            func(args []string) error
	fn               func(args []string, v any) (any, error)
}

// ops holds every rule operation; validation, evaluation, the editor's list
// and GET /api/v1/mapping/ops read it. Add the func, the entry and its rows
// in opCases (ops_test.go).
var ops = map[string]op{
	"default":       {minArgs: 1, maxArgs: 1, usage: "default VALUE", help: "use VALUE when the value is missing or null (VALUE is read as JSON when it parses, else as text)", fn: opDefault},
	"map":           {minArgs: 1, maxArgs: -1, usage: "map FROM=TO…", help: "replace values by pairs (STRONG_PASS=hire); *=TO catches the rest; TO is read as JSON when it parses", check: checkMap, fn: opMap},
	"convert":       {minArgs: 1, maxArgs: 1, usage: "convert string|number|int|id|bool", help: "convert the value's type (int rounds half away from zero; id: a whole number exactly as written, anything else an error)", check: checkConvert, fn: opConvert},
	"scale":         {minArgs: 4, maxArgs: 4, usage: "scale A B C D", help: "rescale a number from [A,B] to [C,D] (1 5 0 100: 3 → 50)", check: checkScale, fn: opScale},
	"round":         {minArgs: 0, maxArgs: 1, usage: "round [DIGITS]", help: "round a number to DIGITS decimals (default 0)", check: checkIntArgs, fn: opRound},
	"date":          {minArgs: 1, maxArgs: 2, usage: "date OUT [IN]", help: "reformat a time: OUT/IN are rfc3339, date (2006-01-02), unix, unix_ms or a Go layout; IN defaults to RFC 3339", fn: opDate},
	"join":          {minArgs: 0, maxArgs: 1, usage: "join [SEP]", help: "join an array of values into text (SEP defaults to \", \")", fn: opJoin},
	"split":         {minArgs: 1, maxArgs: 1, usage: "split SEP", help: "split text into an array at SEP", check: checkNonEmpty, fn: opSplit},
	"lower":         {minArgs: 0, maxArgs: 0, usage: "lower", help: "lower-case a string", fn: stringOp(strings.ToLower)},
	"upper":         {minArgs: 0, maxArgs: 0, usage: "upper", help: "upper-case a string", fn: stringOp(strings.ToUpper)},
	"trim":          {minArgs: 0, maxArgs: 0, usage: "trim", help: "remove leading and trailing white space", fn: stringOp(strings.TrimSpace)},
	"truncate":      {minArgs: 1, maxArgs: 2, usage: "truncate N [SUFFIX]", help: "cut a string to N runes, ending with SUFFIX when cut", check: checkIntArgs, fn: opTruncate},
	"first":         {minArgs: 0, maxArgs: 0, usage: "first", help: "the first element of an array (missing when empty)", fn: opFirst},
	"omit_if_empty": {minArgs: 0, maxArgs: 0, usage: "omit_if_empty", help: "leave the target out when the value is missing, null, \"\", [] or {}", fn: opOmitIfEmpty},
}

// OpInfo describes one operation for the editor and the API docs.
type OpInfo struct {
	Name    string `json:"name"`
	Usage   string `json:"usage"`
	Help    string `json:"help"`
	MinArgs int    `json:"min_args"`
	MaxArgs int    `json:"max_args"` // -1: any number
}

// Ops lists every rule operation, sorted by name.
func Ops() []OpInfo {
	out := make([]OpInfo, 0, len(ops))
	for _, name := range sortedKeys(ops) {
		o := ops[name]
		out = append(out, OpInfo{Name: name, Usage: o.usage, Help: o.help, MinArgs: o.minArgs, MaxArgs: o.maxArgs})
	}
	return out
}

// checkOp validates one use of an operation when a mapping is saved.
func checkOp(name string, args []string) error {
	o, ok := ops[name]
	if !ok {
		return fmt.Errorf("unknown operation %q (see GET /api/v1/mapping/ops)", name)
	}
	if len(args) < o.minArgs || (o.maxArgs >= 0 && len(args) > o.maxArgs) {
		got := "none"
		if len(args) > 0 {
			got = fmt.Sprintf("%d (%s)", len(args), formatArgs(args))
		}
		return fmt.Errorf("%s takes %s, got %s; usage: %s", name, argCount(o), got, o.usage)
	}
	if o.check != nil {
		return o.check(args)
	}
	return nil
}

// argCount says how many arguments o takes: "4 arguments", "1 to 2 arguments".
func argCount(o op) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return fmt.Sprintf("%d arguments", n)
	}
	switch {
	case o.maxArgs < 0:
		return "at least " + plural(o.minArgs)
	case o.maxArgs == 0:
		return "no arguments"
	case o.minArgs == o.maxArgs:
		return plural(o.minArgs)
	case o.minArgs == 0:
		return "at most " + plural(o.maxArgs)
	}
	return fmt.Sprintf("%d to %d arguments", o.minArgs, o.maxArgs)
}

// apply runs operation name on v; missing values pass through every
// operation except default and omit_if_empty.
func apply(name string, args []string, v any) (any, error) {
	o, ok := ops[name]
	if !ok {
		return nil, fmt.Errorf("unknown operation %q", name)
	}
	if v == missing && name != "default" && name != "omit_if_empty" {
		return missing, nil
	}
	return o.fn(args, v)
}

// literal reads an argument as a JSON scalar when it parses, else as text.
func literal(s string) any {
	if v, err := decodeOrdered([]byte(s)); err == nil {
		return v
	}
	return s
}

func opDefault(args []string, v any) (any, error) {
	if v == nil || v == missing {
		return literal(args[0]), nil
	}
	return v, nil
}

func checkMap(args []string) error {
	for _, a := range args {
		if !strings.Contains(a, "=") {
			return fmt.Errorf("map pair %q has no '='", a)
		}
	}
	return nil
}

func opMap(args []string, v any) (any, error) {
	key := text(v)
	for _, a := range args {
		if from, to, _ := strings.Cut(a, "="); from == key {
			return literal(to), nil
		}
	}
	for _, a := range args {
		if from, to, _ := strings.Cut(a, "="); from == "*" {
			return literal(to), nil
		}
	}
	return v, nil
}

func checkConvert(args []string) error {
	switch args[0] {
	case "string", "number", "int", "id", "bool":
		return nil
	}
	return fmt.Errorf("convert to %q: want string, number, int, id or bool", args[0])
}

func opConvert(args []string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch args[0] {
	case "string":
		return text(v), nil
	case "number":
		f, err := number(v)
		if err != nil {
			return nil, err
		}
		if n, ok := v.(json.Number); ok {
			return n, nil // keep the source text
		}
		return formatNumber(f), nil
	case "int":
		f, err := number(v)
		if err != nil {
			return nil, err
		}
		return formatNumber(math.Round(f)), nil
	case "id":
		return wholeNumber(v)
	}
	switch s := strings.ToLower(text(v)); s {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no", "":
		return false, nil
	}
	return nil, fmt.Errorf("convert: %q is not a boolean", text(v))
}

// wholeNumber is an id as a JSON number, digit for digit: an ATS id must
// never be rounded onto another record ("12.5", "1e3" and 2^53+1 through
// a float would all name a different one), so only an optional minus and
// digits pass.
func wholeNumber(v any) (any, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	default:
		return nil, fmt.Errorf("%s is not a whole number", describe(v))
	}
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 40 || strings.TrimLeft(digits, "0123456789") != "" {
		return nil, fmt.Errorf("%q is not a whole number (an id is digits only)", s)
	}
	return json.Number(s), nil
}

// number reads a number or numeric text.
func number(v any) (float64, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, fmt.Errorf("%s is not a number", describe(v))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return f, nil
}

// finite formats f, refusing results JSON cannot carry.
func finite(op string, f float64) (any, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("%s: the result is out of range", op)
	}
	return formatNumber(f), nil
}

func formatNumber(f float64) json.Number {
	if f == 0 {
		f = 0 // no "-0"
	}
	return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case []any:
		return "an array"
	case *object:
		return "an object"
	}
	return "a number"
}

func parseFloats(args []string) ([]float64, error) {
	out := make([]float64, len(args))
	for i, a := range args {
		f, err := strconv.ParseFloat(a, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("argument %d (%q) is not a number", i+1, a)
		}
		out[i] = f
	}
	return out, nil
}

func checkScale(args []string) error {
	f, err := parseFloats(args)
	if err == nil && f[0] == f[1] {
		err = errors.New("scale: A and B must differ")
	}
	return err
}

func opScale(args []string, v any) (any, error) {
	f, err := parseFloats(args)
	if err != nil {
		return nil, err
	}
	x, err := number(v)
	if err != nil {
		return nil, fmt.Errorf("scale: %w", err)
	}
	y := f[2] + (x-f[0])*(f[3]-f[2])/(f[1]-f[0])
	return finite("scale", math.Round(y*1e6)/1e6)
}

func checkIntArgs(args []string) error {
	if len(args) == 0 {
		return nil
	}
	if n, err := strconv.Atoi(args[0]); err != nil || n < 0 || n > 1_000_000 {
		return fmt.Errorf("argument 1 (%q) is not a whole number from 0 to 1000000", args[0])
	}
	return nil
}

func opRound(args []string, v any) (any, error) {
	digits := 0
	if len(args) == 1 {
		digits, _ = strconv.Atoi(args[0])
	}
	x, err := number(v)
	if err != nil {
		return nil, fmt.Errorf("round: %w", err)
	}
	p := math.Pow(10, float64(min(digits, 15)))
	if r := math.Round(x*p) / p; !math.IsInf(r, 0) && !math.IsNaN(r) {
		return formatNumber(r), nil
	}
	return formatNumber(x), nil // too large to have decimals anyway
}
