package routing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Values inside a rules mapping are plain JSON values with two choices that
// keep the output faithful: objects are *object (keys in insertion order, so
// output key order is the order of the rules), and numbers are json.Number
// (the source text, so 72.0 stays 72.0 and big ids keep every digit).

// object is a JSON object that remembers key order.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

// get returns the value at k.
func (o *object) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

// set replaces k's value in place, or appends k.
func (o *object) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// missing is the value of a path that leads nowhere; a target whose value
// is missing is left out of the output.
type missingValue struct{}

var missing any = missingValue{}

// maxDepth bounds nesting when decoding, so hostile input can't exhaust the stack.
const maxDepth = 200

// decodeOrdered decodes one JSON document into ordered values. It checks
// the document with encoding/json, then walks it with gjson, which keeps
// key order and hands numbers over as their source text without a token
// allocation per value.
func decodeOrdered(b []byte) (any, error) {
	if !json.Valid(b) {
		var x any
		if err := json.Unmarshal(b, &x); err != nil {
			return nil, err
		}
		return nil, errors.New("invalid JSON")
	}
	return fromGJSON(gjson.ParseBytes(b), 0)
}

func fromGJSON(r gjson.Result, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	switch r.Type {
	case gjson.Null:
		return nil, nil
	case gjson.False:
		return false, nil
	case gjson.True:
		return true, nil
	case gjson.Number:
		return json.Number(r.Raw), nil
	case gjson.String:
		return r.Str, nil
	}
	var err error
	if r.IsArray() {
		arr := []any{}
		r.ForEach(func(_, v gjson.Result) bool {
			var e any
			e, err = fromGJSON(v, depth+1)
			arr = append(arr, e)
			return err == nil
		})
		return arr, err
	}
	o := newObject()
	r.ForEach(func(k, v gjson.Result) bool {
		var e any
		e, err = fromGJSON(v, depth+1)
		o.set(k.Str, e)
		return err == nil
	})
	return o, err
}

// encodeOrdered writes v as compact JSON, objects in key order, numbers as
// their source text, without HTML escaping (payloads aren't HTML).
func encodeOrdered(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case json.Number:
		buf.WriteString(string(x))
	case string:
		writeString(buf, x)
	case *object:
		return encodeObject(buf, x)
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if e == missing {
				e = nil
			}
			if err := encodeOrdered(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		return fmt.Errorf("cannot encode %T", v)
	}
	return nil
}

func encodeObject(buf *bytes.Buffer, o *object) error {
	buf.WriteByte('{')
	n := 0
	for _, k := range o.keys {
		if o.vals[k] == missing {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		writeString(buf, k)
		buf.WriteByte(':')
		if err := encodeOrdered(buf, o.vals[k]); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	if plainString(s) {
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	buf.Truncate(buf.Len() - 1)
}

// plainString reports whether s needs no JSON escaping: valid UTF-8
// without quotes, backslashes, control characters or U+2028/U+2029.
func plainString(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == '"' || r == '\\' || r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// fromPlain turns a value decoded by encoding/json (maps, []any) into the
// ordered form, sorting map keys so the result is deterministic.
func fromPlain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		o := newObject()
		for _, k := range sortedKeys(x) {
			o.set(k, fromPlain(x[k]))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromPlain(e)
		}
		return out
	case float64:
		return json.Number(strconv.FormatFloat(x, 'f', -1, 64))
	case int:
		return json.Number(strconv.Itoa(x))
	}
	return v
}

// isEmpty reports whether v is missing, null, "", [] or {}.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil, missingValue:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case *object:
		return len(x.keys) == 0
	}
	return false
}

// text renders a scalar as template text: strings as they are, numbers as
// their source text, arrays joined with ", ", missing and null as "".
func text(v any) string {
	switch x := v.(type) {
	case nil, missingValue:
		return ""
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		var b bytes.Buffer
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(text(e))
		}
		return b.String()
	}
	var b bytes.Buffer
	_ = encodeOrdered(&b, v)
	return b.String()
}
