package problem

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
)

// DecodeJSON reads a client's JSON request body into v, strictly: a
// content type other than JSON is a 415; malformed JSON, a field v does not
// have, a value of the wrong type, or anything after the JSON value is a 400.
// An empty body leaves v as it is. Reasons never echo the input, which may
// hold a password or a secret.
func DecodeJSON(contentType string, body []byte, v any) error {
	if contentType != "" {
		if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
			return UnsupportedType(contentType)
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest("body", "is not valid JSON for this request: "+jsonReason(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return BadRequest("body", fmt.Sprintf("has data after the JSON value (at byte %d)", dec.InputOffset()))
	}
	return nil
}

// jsonReason names what was wrong and where, without the input's text.
func jsonReason(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return "the body must be " + typeName(typeErr.Type.Kind().String())
		}
		return fmt.Sprintf("field %s must be %s, not %s", typeErr.Field, typeName(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	if msg, ok := bytes.CutPrefix([]byte(err.Error()), []byte("json: unknown field ")); ok {
		return "unknown field " + string(msg)
	}
	return "malformed JSON"
}

// typeName says a Go kind the way a JSON client thinks of it.
func typeName(kind string) string {
	switch kind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "ptr", "interface":
		return "a value of another type"
	}
	return "a number"
}
