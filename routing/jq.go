package routing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/itchyny/gojq"
)

// jqTimeout bounds one jq run; gojq checks the context between steps, so
// an endless program (repeat, range(infinite)) stops here.
const jqTimeout = 250 * time.Millisecond

// jqDenied are the jq builtins that reach outside the event (environment,
// input streams, stderr, process exit). They are refused when a mapping is
// saved; gojq's library has no environment or input anyway, so this makes
// the refusal explicit instead of an empty $ENV.
var jqDenied = map[string]string{
	"$ENV": "the environment", "env": "the environment", "input": "input streams", "inputs": "input streams",
	"debug": "debug output", "stderr": "stderr", "input_filename": "the input file name",
	"input_line_number": "input positions", "halt": "process exit", "halt_error": "process exit",
	"$__prog_args": "program arguments", "get_search_list": "module paths", "modulemeta": "modules",
}

// jq variables: $correlation (the correlation record, {} when there is
// none) and $meta (tenant_id, endpoint_id, event_type, meeting_code, revision,
// and for recordings recording_link and video_url_expires_at).
var jqVars = []string{"$correlation", "$meta"}

type compiledJQ struct {
	code            *gojq.Code
	usesCorrelation bool
}

func compileJQ(program string, v *invalid) *compiledJQ {
	switch {
	case strings.TrimSpace(program) == "":
		v.add("program", "is required in jq mode")
		return nil
	case len(program) > maxProgramLen:
		v.add("program", "is longer than %d bytes", maxProgramLen)
		return nil
	}
	q, err := gojq.Parse(program)
	if err != nil {
		v.add("program", "does not parse: %s", jqErrorText(err, program))
		return nil
	}
	if len(q.Imports) > 0 {
		v.add("program", "import and include are not available")
		return nil
	}
	names := map[string]bool{}
	collectNames(reflect.ValueOf(q), names)
	for _, n := range sortedKeys(names) {
		if why, ok := jqDenied[n]; ok {
			v.add("program", "%s is not available (mappings have no access to %s)", n, why)
			return nil
		}
	}
	guardJQ(reflect.ValueOf(q))
	code, err := gojq.Compile(q, append([]gojq.CompilerOption{gojq.WithVariables(jqVars)}, jqGuardOptions...)...)
	if err != nil {
		v.add("program", "does not compile: %s", err)
		return nil
	}
	return &compiledJQ{code: code, usesCorrelation: names["$correlation"]}
}

// jqErrorText adds the line and column of a parse error.
func jqErrorText(err error, program string) string {
	var pe *gojq.ParseError
	if errors.As(err, &pe) {
		off := min(max(pe.Offset, 0), len(program))
		line := strings.Count(program[:off], "\n") + 1
		col := off - strings.LastIndex(program[:off], "\n")
		return fmt.Sprintf("%s (line %d, column %d)", err, line, col)
	}
	return err.Error()
}

var (
	funcType = reflect.TypeFor[gojq.Func]()
	termType = reflect.TypeFor[gojq.Term]()
)

// collectNames gathers every function and variable name the parsed query
// uses, by walking gojq's exported syntax tree.
func collectNames(v reflect.Value, out map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			collectNames(v.Elem(), out)
		}
	case reflect.Slice:
		for i := range v.Len() {
			collectNames(v.Index(i), out)
		}
	case reflect.Struct:
		if v.Type() == funcType {
			out[v.FieldByName("Name").String()] = true
		}
		if v.Type() == termType {
			if f := v.FieldByName("Format"); f.String() != "" {
				out[f.String()] = true
			}
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				collectNames(v.Field(i), out)
			}
		}
	}
}

// run executes the program on body; it must yield exactly one object.
func (j *compiledJQ) run(ctx context.Context, body []byte, corr map[string]string, meta *object) ([]byte, error) {
	var in any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers keep their source text unless the program computes with them
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("event body is not JSON: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, jqTimeout)
	defer cancel()
	c := map[string]any{}
	for k, v := range corr {
		c[k] = v
	}
	m := map[string]any{}
	for _, k := range meta.keys {
		m[k] = plainOf(meta.vals[k])
	}
	iter := j.code.RunWithContext(ctx, in, c, m)
	out, ok := iter.Next()
	if !ok {
		return nil, errors.New("jq program produced no output; it must produce exactly one object")
	}
	if err, isErr := out.(error); isErr {
		return nil, jqRunError(ctx, err)
	}
	obj, isObj := out.(map[string]any)
	if !isObj {
		return nil, fmt.Errorf("jq program produced %s; it must produce one object", describe(fromPlain(out)))
	}
	if extra, more := iter.Next(); more {
		if err, isErr := extra.(error); isErr {
			return nil, jqRunError(ctx, err)
		}
		return nil, errors.New("jq program produced more than one output; it must produce exactly one object")
	}
	if over, deep := jsonSizeOver(obj, maxOutputBytes); deep {
		return nil, fmt.Errorf("jq output nests deeper than %d levels", maxJQDepth)
	} else if over {
		return nil, fmt.Errorf("jq output is larger than %d bytes", maxOutputBytes)
	}
	b, err := gojqMarshal(obj)
	if err != nil {
		return nil, err
	}
	if len(b) > maxOutputBytes {
		return nil, fmt.Errorf("jq output is larger than %d bytes", maxOutputBytes)
	}
	return b, nil
}

func jqRunError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("jq program ran longer than %s", jqTimeout)
	}
	return fmt.Errorf("jq: %s", err)
}

// gojqMarshal encodes gojq's output (maps: keys sorted, so deterministic).
func gojqMarshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("jq output cannot be encoded: %w", err)
	}
	return b, nil
}

// plainOf turns ordered values into what gojq accepts.
func plainOf(v any) any {
	switch x := v.(type) {
	case *object:
		m := map[string]any{}
		for _, k := range x.keys {
			m[k] = plainOf(x.vals[k])
		}
		return m
	}
	return v
}
