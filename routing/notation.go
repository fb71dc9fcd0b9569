package routing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// The rule table writes an operation the way its usage reads: the name,
// then the arguments separated by spaces ("scale 1 5 0 100"); further
// operations are separated by "|" ("trim | truncate 40 …"). An argument
// that is empty or holds white space, a double quote or "|" is written in
// double quotes with Go/JSON escapes ("; ", "\"\"").

// formatArgs writes args in the table's notation.
func formatArgs(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a
		if a == "" || strings.ContainsAny(a, `"|`) || strings.IndexFunc(a, needsQuote) >= 0 {
			parts[i] = strconv.Quote(a)
		}
	}
	return strings.Join(parts, " ")
}

func needsQuote(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }

// splitArgs reads formatArgs' text.
func splitArgs(s string) ([]string, error) {
	groups, err := scanOps(s, false)
	if err != nil {
		return nil, err
	}
	return groups[0], nil
}

// formatOps writes operations as the table's "More operations" text:
// "trim | default n/a | truncate 40 …".
func formatOps(ops []OpCall) string {
	parts := make([]string, len(ops))
	for i, o := range ops {
		parts[i] = strings.TrimSpace(o.Op + " " + formatArgs(o.Args))
	}
	return strings.Join(parts, " | ")
}

// opTextError is text of the table that is no operation list; Op is the
// index of the operation it is in.
type opTextError struct {
	Op  int
	Err error
}

func (e *opTextError) Error() string { return e.Err.Error() }

// parseOps reads formatOps' text. An operation written as a call,
// "truncate(6, …)", is refused with its usage.
func parseOps(text string) ([]OpCall, error) {
	groups, err := scanOps(text, true)
	if err != nil {
		return nil, err
	}
	var out []OpCall
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		if name, _, ok := strings.Cut(g[0], "("); ok {
			usage := "NAME ARGUMENTS"
			if o, known := ops[name]; known {
				usage = o.usage
			}
			return nil, &opTextError{Op: len(out), Err: fmt.Errorf("%q: write the operation's name, then its arguments separated by spaces (usage: %s)",
				strings.Join(g, " "), usage)}
		}
		call := OpCall{Op: g[0]}
		if len(g) > 1 {
			call.Args = g[1:]
		}
		out = append(out, call)
	}
	return out, nil
}

// scanOps splits s into words, runs of non-space text or double-quoted
// strings; with pipes, an unquoted "|" starts the next group. Errors are
// *opTextError.
func scanOps(s string, pipes bool) ([][]string, error) {
	groups := [][]string{nil}
	fail := func(format string, args ...any) ([][]string, error) {
		return nil, &opTextError{Op: len(groups) - 1, Err: fmt.Errorf(format, args...)}
	}
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		switch {
		case s == "":
			return groups, nil
		case pipes && s[0] == '|':
			groups, s = append(groups, nil), s[1:]
		case s[0] == '"':
			end := closingQuote(s)
			if end < 0 {
				return fail("the quote %s is not closed", s)
			}
			word, err := strconv.Unquote(s[:end+1])
			if err != nil {
				return fail(`%s: inside quotes write \" for a quote and \\ for a backslash`, s[:end+1])
			}
			rest := s[end+1:]
			if r := []rune(rest + " ")[0]; !unicode.IsSpace(r) && (!pipes || r != '|') {
				return fail("%s: put a space after the closing quote", s[:end+1])
			}
			groups[len(groups)-1] = append(groups[len(groups)-1], word)
			s = rest
		default:
			end := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || pipes && r == '|' })
			if end < 0 {
				end = len(s)
			}
			groups[len(groups)-1] = append(groups[len(groups)-1], s[:end])
			s = s[end:]
		}
	}
}

// closingQuote is the index of the quote closing the one s starts with (-1: none).
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// opIndex is the operation an error of parseOps or splitArgs is in.
func opIndex(err error) int {
	var te *opTextError
	if errors.As(err, &te) {
		return te.Op
	}
	return 0
}
