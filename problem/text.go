package problem

import (
	"strings"
	"unicode/utf8"
)

// Why text can't be stored the same way on both databases: PostgreSQL
// refuses a NUL or invalid UTF-8 in a text column, SQLite stores either.
const (
	ReasonNUL  = "contains a NUL character"
	ReasonUTF8 = "is not valid UTF-8"
)

// TextFault says why s can't be stored as text, or "".
func TextFault(s string) string {
	switch {
	case !utf8.ValidString(s):
		return ReasonUTF8
	case strings.IndexByte(s, 0) >= 0:
		return ReasonNUL
	}
	return ""
}
