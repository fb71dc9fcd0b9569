package webhooks

import (
	"bytes"
	"encoding/json"
	"testing"
)

// compactCases are valid JSON documents whose whitespace, strings and
// escapes a hand-written compactor could get wrong.
var compactCases = map[string]string{
	"indented":           "{\n  \"a\" : [ 1 , 2 ],\r\n\t\"b\" : { }\n}",
	"spaces in strings":  `{"a": "x  y\t z", "b" : " "}`,
	"escaped quote":      `{"a": "say \"hi \" there", "b": 1}`,
	"escaped backslash":  `{"a": "C:\\ dir\\", "b": [ true , null ]}`,
	"unicode escapes":    `{"a": "\u00e9 \u2028", "b": "é  ü"}`,
	"html-ish":           `{"a": "<b> & </b>"}`,
	"numbers":            `[ 1e2 , -0.5 , 72.0 ]`,
	"nothing to remove":  `{"a":1}`,
	"trailing newline":   "{\"a\":1}\n",
	"leading whitespace": "  \n{\"a\":1}",
}

// TestWriteCompact: writeCompact writes exactly json.Compact's bytes for
// valid JSON (stored fingerprints must not change), on crafted documents
// and every embedded sample re-indented.
func TestWriteCompact(t *testing.T) {
	docs := map[string][]byte{}
	for name, doc := range compactCases {
		docs[name] = []byte(doc)
	}
	for _, et := range EventTypes() {
		b, err := Sample(et.Name)
		if err != nil {
			t.Fatal(err)
		}
		var indented bytes.Buffer
		if err := json.Indent(&indented, b, "", "   "); err != nil {
			t.Fatal(err)
		}
		docs[et.Name], docs[et.Name+" indented"] = b, indented.Bytes()
	}
	for name, doc := range docs {
		var want, got bytes.Buffer
		if err := json.Compact(&want, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		writeCompact(&got, doc)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s:\n got %s\nwant %s", name, got.Bytes(), want.Bytes())
		}
	}
}

// FuzzWriteCompact: on any valid JSON, writeCompact agrees with json.Compact.
func FuzzWriteCompact(f *testing.F) {
	for _, doc := range compactCases {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var want bytes.Buffer
		if json.Compact(&want, doc) != nil {
			return // only valid JSON reaches fingerprinting
		}
		var got bytes.Buffer
		writeCompact(&got, doc)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("got %q, want %q", got.Bytes(), want.Bytes())
		}
	})
}
