package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// schemaChecker checks a decoded JSON value against the subset of JSON
// Schema openapi.json uses ($ref, allOf, oneOf, type with "null",
// properties, required, items, enum, format date-time,
// additionalProperties, writeOnly). An answer's object may hold only the
// properties its schema lists (unless additionalProperties allows more),
// so a field the handler returns but the document doesn't name fails, as
// does a documented field of the wrong type.
type schemaChecker struct {
	doc  map[string]any
	seen map[string]bool // "schema#property" seen in an answer (for the report of never-seen fields)
}

func newSchemaChecker(raw []byte) (*schemaChecker, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	return &schemaChecker{doc: doc, seen: map[string]bool{}}, nil
}

// decodeNumbers decodes body keeping numbers as json.Number, so 1 and 1.5 differ.
func decodeNumbers(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func (sc *schemaChecker) resolve(s map[string]any) (map[string]any, string) {
	name := ""
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s, name
		}
		name = strings.TrimPrefix(ref, "#/components/schemas/")
		next, _ := lookupPointer(sc.doc, ref).(map[string]any)
		if next == nil {
			return map[string]any{}, name
		}
		s = next
	}
}

// flatten merges allOf parts into one schema's types, properties and required list.
func (sc *schemaChecker) flatten(s map[string]any) (merged map[string]any, name string) {
	s, name = sc.resolve(s)
	all, ok := s["allOf"].([]any)
	if !ok {
		return s, name
	}
	merged = map[string]any{}
	props := map[string]any{}
	var required []any
	for k, v := range s {
		if k != "allOf" {
			merged[k] = v
		}
	}
	if p, ok := s["properties"].(map[string]any); ok {
		for k, v := range p {
			props[k] = v
		}
	}
	required = append(required, asSlice(s["required"])...)
	for _, part := range all {
		ps, pname := sc.flatten(part.(map[string]any))
		if name == "" {
			name = pname
		}
		for k, v := range ps {
			switch k {
			case "properties":
				for pk, pv := range v.(map[string]any) {
					props[pk] = pv
				}
			case "required":
				required = append(required, asSlice(v)...)
			default:
				if _, ok := merged[k]; !ok {
					merged[k] = v
				}
			}
		}
	}
	merged["properties"], merged["required"] = props, required
	return merged, name
}

// check returns one line per disagreement between v and schema, at the JSON path at.
func (sc *schemaChecker) check(schema map[string]any, v any, at string) []string {
	s, name := sc.flatten(schema)
	if one, ok := s["oneOf"].([]any); ok {
		var errs []string
		for _, alt := range one {
			e := sc.check(alt.(map[string]any), v, at)
			if len(e) == 0 {
				return nil
			}
			errs = append(errs, e...)
		}
		return []string{fmt.Sprintf("%s: matches no oneOf alternative: %s", at, strings.Join(errs, "; "))}
	}
	if msg := checkType(s, v); msg != "" {
		return []string{at + ": " + msg}
	}
	if enum, ok := s["enum"].([]any); ok && v != nil && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		return []string{fmt.Sprintf("%s: %v is not one of %v", at, v, enum)}
	}
	if s["format"] == "date-time" {
		if str, ok := v.(string); ok {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				return []string{fmt.Sprintf("%s: %q is not an RFC 3339 date-time", at, str)}
			}
		}
	}
	switch x := v.(type) {
	case map[string]any:
		return sc.checkObject(s, name, x, at)
	case []any:
		items, ok := s["items"].(map[string]any)
		if !ok {
			return nil
		}
		var errs []string
		for i, it := range x {
			errs = append(errs, sc.check(items, it, fmt.Sprintf("%s[%d]", at, i))...)
		}
		return errs
	}
	return nil
}

func (sc *schemaChecker) checkObject(s map[string]any, name string, x map[string]any, at string) []string {
	var errs []string
	props, _ := s["properties"].(map[string]any)
	for _, r := range asSlice(s["required"]) {
		if _, ok := x[r.(string)]; !ok {
			errs = append(errs, fmt.Sprintf("%s: required property %q is missing", at, r))
		}
	}
	extra, _ := s["additionalProperties"].(map[string]any)
	open := s["additionalProperties"] == true || extra != nil || (props == nil && s["additionalProperties"] == nil)
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ps, ok := props[k].(map[string]any)
		switch {
		case ok:
			sc.seen[name+"#"+k] = true
			if r, _ := sc.resolve(ps); r["writeOnly"] == true {
				errs = append(errs, fmt.Sprintf("%s.%s: a writeOnly property appears in an answer", at, k))
			}
			errs = append(errs, sc.check(ps, x[k], at+"."+k)...)
		case extra != nil:
			errs = append(errs, sc.check(extra, x[k], at+"."+k)...)
		case !open:
			errs = append(errs, fmt.Sprintf("%s.%s: the answer has a property the schema does not document", at, k))
		}
	}
	return errs
}

// checkType compares v's JSON type with the schema's "type" (a name or a list).
func checkType(s map[string]any, v any) string {
	var types []string
	switch t := s["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, x.(string))
		}
	default:
		return ""
	}
	got := jsonType(v)
	for _, t := range types {
		if t == got || (t == "number" && got == "integer") {
			return ""
		}
	}
	return fmt.Sprintf("is %s (%s), want %s", got, shorten(v), strings.Join(types, " or "))
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func shorten(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

// operation returns openapi.json's operation object for "METHOD /path/:param" (nil: none).
func (sc *schemaChecker) operation(op string) map[string]any {
	method, path, _ := strings.Cut(op, " ")
	paths, _ := sc.doc["paths"].(map[string]any)
	for p, ops := range paths {
		if pathParam.ReplaceAllString(p, ":$1") == path {
			o, _ := ops.(map[string]any)[strings.ToLower(method)].(map[string]any)
			return o
		}
	}
	return nil
}

// jsonSchemaOf returns the application/json schema of a response or request body object.
func jsonSchemaOf(body map[string]any) map[string]any {
	content, _ := body["content"].(map[string]any)
	js, _ := content["application/json"].(map[string]any)
	schema, _ := js["schema"].(map[string]any)
	return schema
}

// responseSchema returns the JSON schema openapi.json documents for the
// operation "METHOD /path/:param" answering status (nil, false when the
// status isn't documented; nil, true when it is documented without a JSON body).
func (sc *schemaChecker) responseSchema(op string, status int) (map[string]any, bool) {
	o := sc.operation(op)
	if o == nil {
		return nil, false
	}
	res, _ := o["responses"].(map[string]any)
	r, ok := res[fmt.Sprint(status)].(map[string]any)
	if !ok {
		return nil, false
	}
	return jsonSchemaOf(resolveRef(sc.doc, r)), true
}

// requestSchema returns the JSON request body schema of op, if it has one.
func (sc *schemaChecker) requestSchema(op string) map[string]any {
	rb, _ := sc.operation(op)["requestBody"].(map[string]any)
	return jsonSchemaOf(rb)
}
