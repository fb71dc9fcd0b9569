package routing

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Time, text and array operations (the entries are in ops.go).

var dateLayouts = map[string]string{"rfc3339": time.RFC3339Nano, "date": time.DateOnly, "datetime": time.DateTime}

func opDate(args []string, v any) (any, error) {
	in := "rfc3339"
	if len(args) == 2 {
		in = args[1]
	}
	t, err := parseTime(in, v)
	if err != nil {
		return nil, fmt.Errorf("date: %w", err)
	}
	switch args[0] {
	case "unix":
		return json.Number(strconv.FormatInt(t.Unix(), 10)), nil
	case "unix_ms":
		return json.Number(strconv.FormatInt(t.UnixMilli(), 10)), nil
	}
	layout, ok := dateLayouts[args[0]]
	if !ok {
		layout = args[0]
	}
	return t.UTC().Format(layout), nil
}

func parseTime(in string, v any) (time.Time, error) {
	if in == "unix" || in == "unix_ms" {
		f, err := number(v)
		if err != nil {
			return time.Time{}, err
		}
		if in == "unix_ms" {
			return time.UnixMilli(int64(f)), nil
		}
		return time.Unix(int64(f), 0), nil
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("%s is not a time", describe(v))
	}
	layout, ok := dateLayouts[in]
	if !ok {
		layout = in
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time in layout %q", s, layout)
	}
	return t, nil
}

func opJoin(args []string, v any) (any, error) {
	sep := ", "
	if len(args) == 1 {
		sep = args[0]
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("join: %s is not an array", describe(v))
	}
	parts := make([]string, 0, len(arr))
	for _, e := range arr {
		switch e.(type) {
		case *object, []any:
			return nil, errors.New("join: elements must be scalars (pick a field with [*].field)")
		}
		parts = append(parts, text(e))
	}
	return strings.Join(parts, sep), nil
}

func checkNonEmpty(args []string) error {
	if args[0] == "" {
		return errors.New("the separator is empty")
	}
	return nil
}

func opSplit(args []string, v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("split: %s is not a string", describe(v))
	}
	parts := strings.Split(s, args[0])
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func stringOp(f func(string) string) func([]string, any) (any, error) {
	return func(_ []string, v any) (any, error) {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%s is not a string", describe(v))
		}
		return f(s), nil
	}
}

func opTruncate(args []string, v any) (any, error) {
	n, _ := strconv.Atoi(args[0])
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("truncate: %s is not a string", describe(v))
	}
	if utf8.RuneCountInString(s) <= n {
		return s, nil
	}
	suffix := ""
	if len(args) == 2 {
		suffix = args[1]
	}
	keep := max(n-utf8.RuneCountInString(suffix), 0)
	r := []rune(s)
	return string(r[:keep]) + suffix, nil
}

func opFirst(_ []string, v any) (any, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("first: %s is not an array", describe(v))
	}
	if len(arr) == 0 {
		return missing, nil
	}
	return arr[0], nil
}

func opOmitIfEmpty(_ []string, v any) (any, error) {
	if isEmpty(v) {
		return missing, nil
	}
	return v, nil
}
