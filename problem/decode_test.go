package problem

import (
	"strings"
	"testing"
)

// TestDecodeJSON: what a client's body may be, and what each mistake answers.
func TestDecodeJSON(t *testing.T) {
	type body struct {
		Name  string `json:"name"`
		Count *int   `json:"count"`
	}
	for _, tc := range []struct {
		name, contentType, body string
		code                    Code
		reason                  string // part of the message
	}{
		{"plain", "application/json", `{"name":"Zoë <&>","count":2}`, "", ""},
		{"charset", "application/json; charset=utf-8", `{"name":"a"}`, "", ""},
		{"no content type", "", `{"name":"a"}`, "", ""},
		{"empty body", "application/json", "  ", "", ""},
		{"trailing white space", "application/json", "{\"name\":\"a\"}\n\t ", "", ""},
		{"text/plain", "text/plain", `{"name":"a"}`, CodeUnsupportedType, "application/json"},
		{"form", "application/x-www-form-urlencoded", `{"name":"a"}`, CodeUnsupportedType, "application/json"},
		{"trailing value", "application/json", `{"name":"a"} {"x":1}`, CodeBadRequest, "data after the JSON value"},
		{"trailing word", "application/json", `{"name":"a"} trailing`, CodeBadRequest, "data after the JSON value"},
		{"unknown field", "application/json", `{"nmae":"a"}`, CodeBadRequest, `unknown field "nmae"`},
		{"wrong type", "application/json", `{"count":"two"}`, CodeBadRequest, "field count must be a number, not string"},
		{"array body", "application/json", `[1]`, CodeBadRequest, "the body must be an object"},
		{"malformed", "application/json", `{"name":"secret-password}`, CodeBadRequest, "JSON"},
		{"syntax", "application/json", `{"name" "a"}`, CodeBadRequest, "malformed JSON at byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v body
			err := DecodeJSON(tc.contentType, []byte(tc.body), &v)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			p, ok := As(err)
			if !ok || p.Code != tc.code || !strings.Contains(p.Message, tc.reason) {
				t.Fatalf("err = %v, want %s containing %q", err, tc.code, tc.reason)
			}
			if strings.Contains(p.Message, "secret-password") {
				t.Fatalf("the reason echoes the input: %s", p.Message)
			}
		})
	}
}
