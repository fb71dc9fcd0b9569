package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboard-gw/switchboard/problem"
)

var jsonTextCases = []struct {
	name, body  string
	field, want string // want "" means accepted
}{
	{name: "plain", body: `{"name":"n","source_id":"org_1"}`},
	{name: "non-ASCII", body: `{"name":"Zoë 日本 <&> 🙂"}`},
	{name: "escaped non-ASCII", body: `{"name":"Zo\u00eb \u65e5\ud83d\ude42"}`},
	{name: "escaped backslash before u0000", body: `{"name":"a\\u0000b"}`},
	{name: "other escapes", body: `{"name":"\u0001\t\"\\"}`},
	{name: "empty", body: ``},
	{name: "escaped NUL", body: `{"name":"n","source_id":"a\u0000b"}`, field: "source_id", want: reasonNUL},
	{name: "escaped NUL after escaped quote", body: `{"a":"\"","b":"\u0000"}`, field: "b", want: reasonNUL},
	{name: "escaped NUL after escaped backslash", body: `{"a":"\\\u0000"}`, field: "a", want: reasonNUL},
	{name: "raw NUL", body: "{\"email\":\"x\x00\"}", field: "body", want: reasonNUL},
	{name: "invalid UTF-8", body: "{\"name\":\"\xff\"}", field: "name", want: reasonUTF8},
	{name: "truncated UTF-8", body: "{\"name\":\"\xc3\"}", field: "name", want: reasonUTF8},
	{name: "nested", body: `{"records":{"M-1":{"crm_id":"ok","owner":"x\u0000"}}}`, field: "records.M-1.owner", want: reasonNUL},
	{name: "in a key", body: `{"records":{"M\u0000":{"crm_id":"1"}}}`, field: "records", want: "has a key that " + reasonNUL},
	{name: "in a top-level key", body: "{\"\xff\":1}", field: "body", want: "has a key that " + reasonUTF8},
	{name: "array element", body: `{"subscriptions":["a",{"x":[1]},"b\u0000"]}`, field: "subscriptions[2]", want: reasonNUL},
	{name: "after nested containers", body: `{"a":{"b":[1,2]},"c":[],"d":"\u0000"}`, field: "d", want: reasonNUL},
	{name: "top-level array", body: `["ok","\u0000"]`, field: "body[1]", want: reasonNUL},
	{name: "top-level string", body: `"\u0000"`, field: "body", want: reasonNUL},
	{name: "not JSON", body: "name=\xff", field: "body", want: reasonUTF8},
	{name: "trailing backslash", body: `{"a":"\`},
}

func TestCheckJSONText(t *testing.T) {
	for _, tc := range jsonTextCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkJSONText([]byte(tc.body))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v, want accepted", err)
				}
				return
			}
			p, ok := problem.As(err)
			if !ok || p.Code != problem.CodeBadRequest || len(p.Details) != 1 {
				t.Fatalf("got %#v, want one bad_request detail", err)
			}
			if d := p.Details[0]; d.Field != tc.field || d.Reason != tc.want {
				t.Fatalf("got %s: %s, want %s: %s", d.Field, d.Reason, tc.field, tc.want)
			}
		})
	}
}

func TestTextReason(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{name: "ASCII", in: "meeting-1"},
		{name: "non-ASCII", in: "Zoë 日本 <&>"},
		{name: "empty", in: ""},
		{name: "NUL", in: "a\x00b", want: reasonNUL},
		{name: "invalid byte", in: "\xff", want: reasonUTF8},
		{name: "surrogate half", in: "\xed\xa0\x80", want: reasonUTF8},
		{name: "both", in: "\x00\xff", want: reasonUTF8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := textReason([]byte(tc.in)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPGTextError: the error handler answers PostgreSQL's refusal of text
// with a JSON 400, and other database errors still with a 500.
func TestPGTextError(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{name: "22021", err: fmt.Errorf("create tenant: %w", &pgconn.PgError{Code: "22021"}), want: 400},
		{name: "22P05", err: &pgconn.PgError{Code: "22P05"}, want: 400},
		{name: "unique violation", err: &pgconn.PgError{Code: "23505"}, want: 500},
		{name: "other error", err: errors.New("boom"), want: 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := fiber.New(fiber.Config{ErrorHandler: errorHandler(slog.New(slog.NewJSONHandler(io.Discard, nil)), 1<<20)})
			app.Get("/", func(*fiber.Ctx) error { return tc.err })
			res, err := app.Test(httptest.NewRequest("GET", "/", nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.want {
				t.Fatalf("got %d %s, want %d", res.StatusCode, body, tc.want)
			}
			if tc.want == 400 && !strings.Contains(string(body), `"code":"bad_request"`) {
				t.Fatalf("got %s, want a bad_request problem", body)
			}
		})
	}
}
