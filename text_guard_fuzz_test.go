package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzJSONTextCheck: the guard's scan of a JSON body never panics, and on
// valid JSON it refuses exactly the bodies whose bytes are not UTF-8 or whose
// decoded strings or keys hold a NUL, the text PostgreSQL would refuse.
func FuzzJSONTextCheck(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"a":"\u0000"}`, `{"a":"\\u0000"}`, `{"\u0000":1}`, `["x","y\u0000z"]`,
		"{\"a\":\"\xff\"}", `{"a":"Zoë 日本 <&>"}`, `{"a":{"b":[1,"\\\u0000"]}}`, `"\u0000"`, `{"a":"\ud800"}`, `{"a":"\u0000","a":"b"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := checkJSONText(body) // must not panic on any input
		if !json.Valid(body) {
			return
		}
		want := !utf8.Valid(body) || holdsNUL(body)
		if (err != nil) != want {
			t.Fatalf("checkJSONText(%q) = %v, want refused = %v", body, err, want)
		}
	})
}

// holdsNUL reports whether any string or key of a valid JSON body holds a
// NUL once decoded, duplicate keys included (a map would keep only the last).
func holdsNUL(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && strings.ContainsRune(s, 0) {
			return true
		}
	}
}
