package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
)

// A NUL character or a byte that is not UTF-8 is stored by SQLite and
// refused by PostgreSQL (SQLSTATE 22021), so text holding one would be a 400
// on one database and a 500 on the other. textGuard refuses it up front for
// the API and the pages; pgTextError catches what reaches PostgreSQL anyway.
// The ingest route is not behind the guard: it checks its routing fields
// itself and stores event bodies byte for byte.
const (
	reasonNUL  = problem.ReasonNUL
	reasonUTF8 = problem.ReasonUTF8
)

// textGuard answers 400 (bad_request, naming the field) to a request whose
// decoded path, query, form or body holds a NUL character or invalid UTF-8.
func textGuard(c *fiber.Ctx) error {
	if err := checkRequestText(c); err != nil {
		return err
	}
	return c.Next()
}

// pageTextGuard is textGuard for the pages outside /admin (sign-in, setup):
// a browser gets the error page, a JSON client the JSON error.
func pageTextGuard(c *fiber.Ctx) error {
	if err := checkRequestText(c); err != nil {
		if !auth.WantsHTML(c) {
			return err
		}
		auth.SecurityHeaders(c)
		return auth.ErrorPage(c, err)
	}
	return c.Next()
}

// checkRequestText returns the problem with c's request text, or nil. A body
// that is not a form is checked as JSON, whatever its content type says,
// because the handlers decode it as JSON.
func checkRequestText(c *fiber.Ctx) error {
	path := string(c.Request().URI().PathOriginal())
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	if reason := textReason([]byte(path)); reason != "" {
		return problem.BadRequest("path", reason)
	}
	if err := checkArgs("query", c.Request().URI().QueryArgs().VisitAll); err != nil {
		return err
	}
	ct := c.Get(fiber.HeaderContentType)
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		return checkArgs("form", c.Request().PostArgs().VisitAll)
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		form, err := c.MultipartForm()
		if err != nil {
			return nil // the handler reports the unreadable form
		}
		for name, values := range form.Value {
			for _, v := range values {
				if err := checkPair("form", []byte(name), []byte(v)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return checkJSONText(c.Body())
}

// checkArgs checks decoded name=value pairs; visit is fasthttp's Args.VisitAll.
func checkArgs(where string, visit func(func(name, value []byte))) error {
	var err error
	visit(func(name, value []byte) {
		if err == nil {
			err = checkPair(where, name, value)
		}
	})
	return err
}

func checkPair(where string, name, value []byte) error {
	if reason := textReason(name); reason != "" {
		return problem.BadRequest(where, "has a parameter name that "+reason)
	}
	if reason := textReason(value); reason != "" {
		return problem.BadRequest(string(name), reason)
	}
	return nil
}

// textReason says what is wrong with s as text, or "".
func textReason(s []byte) string {
	switch {
	case !utf8.Valid(s):
		return reasonUTF8
	case bytes.IndexByte(s, 0) >= 0:
		return reasonNUL
	}
	return ""
}

// checkJSONText refuses a body holding a byte that is not UTF-8, a raw NUL
// or the escape \u0000, naming the JSON field when the body parses.
func checkJSONText(body []byte) error {
	at, reason := badTextAt(body)
	if at < 0 {
		return nil
	}
	field, inKey := jsonField(body, at)
	if inKey {
		reason = "has a key that " + reason
	}
	return problem.BadRequest(field, reason)
}

// badTextAt returns the offset of the first bad text in a JSON body and why
// it is bad, or -1. It needs no parse: an escape is a backslash and the
// character after it, so `\\u0000` (a backslash, then "u0000") is fine.
func badTextAt(body []byte) (int, string) {
	for i := 0; i < len(body); {
		switch b := body[i]; {
		case b == 0:
			return i, reasonNUL
		case b == '\\':
			if bytes.HasPrefix(body[i+1:], []byte("u0000")) {
				return i, reasonNUL
			}
			i += 2
		case b < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				return i, reasonUTF8
			}
			i += size
		}
	}
	return -1, ""
}

// jsonLevel is an open object or array while jsonField walks a body.
type jsonLevel struct {
	path    string
	array   bool
	index   int
	key     string
	wantKey bool
}

// jsonField names the JSON string holding body[at] ("source_id",
// "records.M-1.crm_id", "subscriptions[2]"); inKey says the bad text is in
// a key of that object. It answers "body" for a body that does not parse.
func jsonField(body []byte, at int) (field string, inKey bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []jsonLevel
	for {
		tok, err := dec.Token()
		if err != nil {
			return "body", false
		}
		past := dec.InputOffset() > int64(at)
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				stack = append(stack, jsonLevel{path: valuePath(stack), array: t == '[', wantKey: t == '{'})
				continue
			}
			stack = stack[:len(stack)-1]
		case string:
			if n := len(stack); n > 0 && stack[n-1].wantKey {
				if past {
					return orBody(stack[n-1].path), true
				}
				stack[n-1].key, stack[n-1].wantKey = t, false
				continue
			}
			if past {
				return orBody(valuePath(stack)), false
			}
		}
		if n := len(stack); n > 0 { // a value ended
			stack[n-1].index++
			stack[n-1].wantKey = !stack[n-1].array
		}
	}
}

// valuePath is the path of the value about to be read at the top of stack.
func valuePath(stack []jsonLevel) string {
	if len(stack) == 0 {
		return ""
	}
	top := stack[len(stack)-1]
	if top.array {
		return orBody(top.path) + "[" + strconv.Itoa(top.index) + "]"
	}
	if top.path == "" {
		return top.key
	}
	return top.path + "." + top.key
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// pgTextError turns PostgreSQL's refusal of text into the 400 textGuard
// gives: 22021 (character_not_in_repertoire: NUL or invalid UTF-8) and
// 22P05 (untranslatable_character: \u0000 in jsonb).
func pgTextError(err error) (*problem.Error, bool) {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || (pg.Code != "22021" && pg.Code != "22P05") {
		return nil, false
	}
	return problem.BadRequest("input", "contains a NUL character or invalid UTF-8"), true
}
