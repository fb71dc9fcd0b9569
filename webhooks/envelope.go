package webhooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"

	"github.com/tidwall/gjson"
)

// The envelope walk reads a body once, at the two levels ingest looks at
// (the root object and its "data" object): it finds the routing members
// and feeds sha256 the fingerprint's bytes on the way, without a copy.
//
// The fingerprint hashes what the former sjson-based implementation hashed
// (TestFingerprintMatchesReference keeps them equal, so stored fingerprints
// still deduplicate): the body as json.Compact writes it, without the first
// "timestamp" member of the first "data" member (when an object) and the
// first top-level "timestamp" member, each removed with one comma as
// sjson.Delete does: the comma before it, or after it when it comes first.

// strippedKey is the member the fingerprint leaves out, at both levels.
const strippedKey = "timestamp"

// span is where a value lies in the body: body[start:end], end 0 if absent.
type span struct{ start, end int }

// field is a member name ingest reads from an object and refuses repeated.
type field struct {
	name     string
	value    span // of the first occurrence, the one gjson.Get returns
	count    int
	repeatAt int // ordinal of the member where the name came a second time
}

func (f *field) record(member int, value span) {
	f.count++
	switch f.count {
	case 1:
		f.value = value
	case 2:
		f.repeatAt = member
	}
}

// result is the first occurrence's value as gjson.Get returns it.
func (f *field) result(body []byte) gjson.Result {
	if f.value.end == 0 {
		return gjson.Result{}
	}
	return gjson.ParseBytes(body[f.value.start:f.value.end])
}

// fields are the names read from one object.
type fields [2]field

func (fs *fields) get(name string) *field {
	for i := range fs {
		if fs[i].name == name {
			return &fs[i]
		}
	}
	return nil
}

func (fs *fields) lookup(key []byte) *field {
	for i := range fs {
		if string(key) == fs[i].name {
			return &fs[i]
		}
	}
	return nil
}

// repeated returns the name whose second occurrence comes first, as
// gjson's ForEach meets it, or "".
func (fs *fields) repeated() string {
	name, at := "", 0
	for _, f := range fs {
		if f.count > 1 && (name == "" || f.repeatAt < at) {
			name, at = f.name, f.repeatAt
		}
	}
	return name
}

// envelope is what one walk finds in a body.
type envelope struct {
	root        fields // event, data
	data        fields // meetingCode, sourceId of the first "data", when an object
	isObject    bool
	fingerprint string // hex sha256
}

// readEnvelope walks body, which gjson.ValidBytes accepted (other bytes
// give some fingerprint, never a panic).
func readEnvelope(body []byte) envelope {
	env := envelope{
		root: fields{{name: "event"}, {name: "data"}},
		data: fields{{name: "meetingCode"}, {name: "sourceId"}},
	}
	hs := hashers.Get().(*hashState)
	defer hashers.Put(hs)
	hs.h.Reset()
	w := walker{body: body, h: hs.h}
	i := skipSpace(body, 0)
	w.cut(0, i)
	if env.isObject = i < len(body) && body[i] == '{'; env.isObject {
		i = w.object(i, &env.root, &env.data)
	} else {
		i = w.value(i)
	}
	w.cut(i, len(body))
	w.finish()
	var hexSum [2 * sha256.Size]byte
	hex.Encode(hexSum[:], hs.h.Sum(hs.sum[:0]))
	env.fingerprint = string(hexSum[:])
	return env
}

// hashers reuse sha256 states and their output buffer: ingest fingerprints
// every event, and a fresh state per event is garbage on the hot path.
var hashers = sync.Pool{New: func() any { return &hashState{h: sha256.New()} }}

type hashState struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

// walker hashes body minus the ranges it cuts, which come in order.
type walker struct {
	body  []byte
	h     hash.Hash
	from  int  // start of the bytes not hashed yet
	muted bool // inside a member cut whole: its own cuts are moot
}

func (w *walker) cut(start, end int) {
	if w.muted || start >= end {
		return
	}
	if w.from < start {
		_, _ = w.h.Write(w.body[w.from:start])
	}
	w.from = end
}

func (w *walker) finish() {
	if w.from < len(w.body) {
		_, _ = w.h.Write(w.body[w.from:])
	}
}

// object walks the object whose '{' is at body[i] and returns the index
// after its '}'. It records the members named in fs, cuts the first
// "timestamp" member, and walks the first "data" member with inner's names
// when inner is not nil and that member is an object.
func (w *walker) object(i int, fs, inner *fields) int {
	b := w.body
	gap := i + 1 // where the bytes before the next member start
	stripped := false
	for member := 0; ; member++ {
		k, comma := skipSpace(b, gap), -1
		if k < len(b) && b[k] == ',' {
			comma, k = k, skipSpace(b, k+1)
		}
		if k >= len(b) || b[k] != '"' { // '}'
			w.cut(gap, k)
			return min(k+1, len(b))
		}
		keyEnd := stringEnd(b, k)
		colon := skipSpace(b, keyEnd)
		v := skipSpace(b, colon+1)
		key := keyName(b[k:keyEnd])
		if !stripped && string(key) == strippedKey {
			stripped = true
			gap = w.cutMember(gap, comma, v)
			continue
		}
		if comma >= 0 {
			w.cut(gap, comma)
			w.cut(comma+1, k)
		} else {
			w.cut(gap, k)
		}
		w.cut(keyEnd, colon)
		w.cut(colon+1, v)
		f := fs.lookup(key)
		var end int
		if inner != nil && f != nil && f.name == "data" && f.count == 0 && v < len(b) && b[v] == '{' {
			end = w.object(v, inner, nil)
		} else {
			end = w.value(v)
		}
		if f != nil {
			f.record(member, span{v, end})
		}
		gap = end
	}
}

// cutMember cuts the member whose value starts at v, and the bytes before
// it from gap, with the comma sjson.Delete takes: the one before it
// (at comma), or else the one after it. It returns where the next gap starts.
func (w *walker) cutMember(gap, comma, v int) int {
	w.muted = true
	end := w.value(v)
	w.muted = false
	if comma < 0 {
		if next := skipSpace(w.body, end); next < len(w.body) && w.body[next] == ',' {
			end = next + 1
		}
	}
	w.cut(gap, end)
	return end
}

// value returns the index after the value at body[i], cutting the
// whitespace inside it.
func (w *walker) value(i int) int {
	b := w.body
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
	default:
		return scalarEnd(b, i)
	}
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i = stringEnd(b, i)
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		case ' ', '\t', '\n', '\r':
			end := skipSpace(b, i)
			w.cut(i, end)
			i = end
			continue
		}
		i++
	}
	return i
}

// keyName is an object key (body bytes with their quotes) as gjson
// compares keys: unescaped, so "time\u0073tamp" is "timestamp".
func keyName(quoted []byte) []byte {
	if len(quoted) < 2 {
		return nil
	}
	key := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(key, '\\') < 0 {
		return key
	}
	return []byte(gjson.ParseBytes(quoted).Str)
}

// stringEnd returns the index after the string whose opening quote is at
// body[i]: the first quote not escaped by an odd run of backslashes.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			break
		}
		j += q
		backslashes := 0
		for k := j - 1; k > i && b[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return j + 1
		}
	}
	return len(b)
}

// scalarEnd returns the index after the number or literal at body[i].
func scalarEnd(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
}

// skipSpace returns the index of the first byte from i that is not JSON
// whitespace (the four bytes json.Compact removes).
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
