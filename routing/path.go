package routing

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// A path names a place in the event: dot-separated keys with optional
// array steps, e.g. data.scores.technicalSkills, data.transcript[0].text or
// data.transcript[*].text (every element: the result is an array).

// step is one segment of a path: a key, an index, or a wildcard over an array.
type step struct {
	key   string
	index int // >= 0 for [n]
	all   bool
	isIdx bool
}

type path []step

func (p path) root() string {
	if len(p) == 0 || p[0].isIdx {
		return ""
	}
	return p[0].key
}

func (p path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case s.all:
			b.WriteString("[*]")
		case s.isIdx:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		}
	}
	return b.String()
}

const maxPathLen = 512

// parsePath parses a path; wildcard says whether [*] is allowed (sources
// yes, targets no).
func parsePath(s string, wildcard bool) (path, error) {
	if s == "" {
		return nil, errors.New("path is empty")
	}
	if len(s) > maxPathLen {
		return nil, fmt.Errorf("path is longer than %d bytes", maxPathLen)
	}
	var p path
	for i, part := range strings.Split(s, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key == "" && (i > 0 || rest == "") {
			return nil, fmt.Errorf("empty key in %q", s)
		}
		if key != "" {
			p = append(p, step{key: key})
		}
		if rest == "" && !strings.Contains(part, "[") {
			continue
		}
		idx, err := parseIndexes("["+rest, wildcard)
		if err != nil {
			return nil, fmt.Errorf("%s in %q", err, s)
		}
		p = append(p, idx...)
	}
	return p, nil
}

// parseIndexes parses "[0][*]…".
func parseIndexes(s string, wildcard bool) ([]step, error) {
	var out []step
	for s != "" {
		if s[0] != '[' {
			return nil, fmt.Errorf("unexpected %q after an index", s)
		}
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return nil, errors.New("unclosed [")
		}
		in := s[1:end]
		s = s[end+1:]
		if in == "*" {
			if !wildcard {
				return nil, errors.New("[*] is not allowed here")
			}
			out = append(out, step{all: true, isIdx: true})
			continue
		}
		n, err := strconv.Atoi(in)
		if err != nil || n < 0 || n > 10000 || strings.TrimLeft(in, "0123456789") != "" {
			return nil, fmt.Errorf("index %q is not a number from 0 to 10000 or *", in)
		}
		out = append(out, step{index: n, isIdx: true})
	}
	return out, nil
}

// lookup follows p from v. A step that doesn't fit (no such key, index out
// of range, key on an array) gives missing; a wildcard maps the rest of the
// path over the array and drops elements where it leads nowhere.
func lookup(v any, p path) any {
	for i, s := range p {
		switch {
		case s.all:
			arr, ok := v.([]any)
			if !ok {
				return missing
			}
			out := []any{}
			for _, e := range arr {
				if r := lookup(e, p[i+1:]); r != missing {
					out = append(out, r)
				}
			}
			return out
		case s.isIdx:
			arr, ok := v.([]any)
			if !ok || s.index >= len(arr) {
				return missing
			}
			v = arr[s.index]
		default:
			o, ok := v.(*object)
			if !ok {
				return missing
			}
			if v, ok = o.get(s.key); !ok {
				return missing
			}
		}
	}
	return v
}

// builder assembles one output tree. Array indexes in targets name slots in
// rule order: the first distinct index seen under an array the rules created
// is its first element, so leaving out [0] never leaves a hole. An array
// that came from the input (keep_unmapped) or a constant is indexed as is.
type builder struct {
	root  *object
	slots map[string]int
	fresh map[*[]any]bool
}

func newBuilder(root *object) *builder {
	return &builder{root: root, slots: map[string]int{}, fresh: map[*[]any]bool{}}
}

// wrap stores arrays being built behind a pointer so appends are visible
// to their parent; unwrapTree replaces those pointers before encoding.
func (b *builder) wrap(v any, created bool) any {
	if a, ok := v.([]any); ok {
		pa := &a
		if created {
			b.fresh[pa] = true
		}
		return pa
	}
	return v
}

// assign sets p to val, creating objects and arrays on the way.
func (b *builder) assign(p path, val any) error {
	var cur any = b.root
	for i, s := range p {
		last := i == len(p)-1
		next := val
		if !last {
			next = newObject()
			if p[i+1].isIdx {
				next = []any{}
			}
		}
		if s.isIdx {
			arr, ok := cur.(*[]any)
			if !ok {
				return fmt.Errorf("%s is not an array", p[:i])
			}
			pos, seen := b.slotOf(arr, p[:i+1].String(), s.index)
			if !seen {
				*arr = append(*arr, b.wrap(next, !last))
			} else if !last && !sameKind((*arr)[pos], next) {
				return fmt.Errorf("%s already holds %s", p[:i+1], describe(unwrapTree((*arr)[pos])))
			} else if last {
				(*arr)[pos] = b.wrap(next, !last)
			}
			cur = (*arr)[pos]
			continue
		}
		o, ok := cur.(*object)
		if !ok {
			return fmt.Errorf("%s is not an object", p[:i])
		}
		old, exists := o.get(s.key)
		if exists && !last && !sameKind(old, next) {
			return fmt.Errorf("%s already holds %s", p[:i+1], describe(unwrapTree(old)))
		}
		if !exists || last {
			o.set(s.key, b.wrap(next, !last))
		}
		cur, _ = o.get(s.key)
	}
	return nil
}

// slotOf returns the position of index in arr and whether it exists yet.
func (b *builder) slotOf(arr *[]any, key string, index int) (int, bool) {
	if !b.fresh[arr] {
		if index < len(*arr) {
			return index, true
		}
		return len(*arr), false
	}
	if pos, ok := b.slots[key]; ok {
		return pos, true
	}
	b.slots[key] = len(*arr)
	return len(*arr), false
}

func sameKind(a, b any) bool {
	switch a.(type) {
	case *object:
		_, ok := b.(*object)
		return ok
	case *[]any:
		_, ok := b.([]any)
		return ok
	}
	return false
}

// unwrapTree replaces *[]any by []any throughout v.
func unwrapTree(v any) any {
	switch x := v.(type) {
	case *[]any:
		return unwrapTree(*x)
	case []any:
		for i, e := range x {
			x[i] = unwrapTree(e)
		}
		return x
	case *object:
		for _, k := range x.keys {
			x.vals[k] = unwrapTree(x.vals[k])
		}
	}
	return v
}

// cloneTree deep-copies ordered values (keep_unmapped copies the input).
func cloneTree(v any) any {
	switch x := v.(type) {
	case *object:
		o := &object{keys: slices.Clone(x.keys), vals: make(map[string]any, len(x.vals))}
		for k, e := range x.vals {
			o.vals[k] = cloneTree(e)
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneTree(e)
		}
		return &out
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
