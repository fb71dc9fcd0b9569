package webhooks

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// fingerprintCases are bodies whose stripped bytes a one-pass fingerprint
// could get wrong: where the timestamp members sit, what surrounds their
// commas, look-alikes that must stay, escapes and whitespace.
var fingerprintCases = []struct {
	name    string
	body    string
	refused bool // ParseInbound refuses it: only the fingerprints are compared
}{
	{name: "data timestamp last", body: `{"event":"e","data":{"meetingCode":"m","a":1,"timestamp":"2026-03-21T18:35:00.000Z"}}`},
	{name: "data timestamp first", body: `{"event":"e","data":{"timestamp":"t","meetingCode":"m","a":1}}`},
	{name: "data timestamp middle", body: `{"event":"e","data":{"meetingCode":"m","timestamp":"t","a":1}}`},
	{name: "data timestamp only member", body: `{"event":"e","data":{"timestamp":"t"}}`, refused: true},
	{name: "empty data", body: `{"event":"e","data":{}}`, refused: true},
	{name: "empty data with spaces", body: `{"event":"e","data":{ }, "timestamp" : 1 }`, refused: true},
	{name: "top timestamp first", body: `{"timestamp":"t","event":"e","data":{"meetingCode":"m"}}`},
	{name: "top timestamp middle", body: `{"event":"e","timestamp":"t","data":{"meetingCode":"m"}}`},
	{name: "top timestamp last", body: `{"event":"e","data":{"meetingCode":"m"},"timestamp":"t"}`},
	{name: "both timestamps", body: `{"timestamp":1,"event":"e","data":{"meetingCode":"m","timestamp":2}}`},
	{name: "repeated data timestamp", body: `{"event":"e","data":{"timestamp":1,"meetingCode":"m","timestamp":2}}`},
	{name: "repeated top timestamp", body: `{"event":"e","timestamp":1,"data":{"meetingCode":"m"},"timestamp":2}`},
	{name: "repeated timestamps side by side", body: `{"timestamp":1,"timestamp":2,"event":"e","data":{"timestamp":3,"timestamp":4,"meetingCode":"m"}}`},
	{name: "timestamp values of every type", body: `{"event":"e","data":{"meetingCode":"m","timestamp":{"a":[1,{"timestamp":2}],"b":"}"}},"timestamp":[null,true,false,-1.5e3,"]"]}`},
	{name: "scalar timestamps", body: `{"timestamp":null,"event":"e","data":{"timestamp":-0.5E+2,"meetingCode":"m"}}`},
	{name: "timestamp as a value", body: `{"event":"e","kind":"timestamp","data":{"meetingCode":"m","kind":"timestamp","list":["timestamp"]}}`},
	{name: "timestamp nested elsewhere", body: `{"event":"e","meta":{"timestamp":1,"data":{"timestamp":2}},"data":{"meetingCode":"m","transcript":[{"timestamp":"02:15"}],"inner":{"timestamp":3}}}`},
	{name: "near-miss keys", body: `{"event":"e","Timestamp":1,"timestamps":2,"data":{"meetingCode":"m","timestam":3,"my timestamp":4,"timestamp ":5}}`},
	{name: "escaped timestamp keys", body: `{"event":"e","time\u0073tamp":1,"data":{"meetingCode":"m","\u0074imestamp":2}}`},
	{name: "escaped key after plain one", body: `{"event":"e","data":{"meetingCode":"m","timestamp":1,"time\u0073tamp":2}}`},
	{name: "hex escapes in either case", body: `{"event":"e","data":{"meetingCode":"m","\u0074\u0049mestamp":1,"\u0074\u0069\u006D\u0065\u0073\u0074\u0061\u006d\u0070":2}}`},
	{name: "escaped solidus is another key", body: `{"event":"e","data":{"meetingCode":"m","time\/stamp":1}}`},
	{name: "escaped routing keys", body: `{"\u0065vent":"e","d\u0061ta":{"me\u0065tingCode":"m","source\u0049d":"s","timestamp":1}}`},
	{name: "escaped quotes and backslashes", body: `{"event":"e","data":{"meetingCode":"m","text":"say \"timestamp\":\"x\", \\","path":"C:\\dir\\","q":"\\\"","timestamp":"t\"\\"}}`},
	{name: "strings that look like members", body: `{"event":"e","data":{"meetingCode":"m","x":",\"timestamp\":1}","timestamp":"t"},"y":"{\"timestamp\":2}"}`},
	{name: "keys with escaped quotes", body: `{"event":"e","data":{"meetingCode":"m","a\"timestamp":1,"timestamp\\":2,"\"":0,"timestamp":3}}`},
	{name: "unicode escapes", body: `{"event":"e","data":{"meetingCode":"m","name":"Zo\u00eb \ud83d\ude00 \u2028 \u0000","raw":"é ü","timestamp":"\u0032026"}}`},
	{name: "invalid UTF-8 outside routing fields", body: "{\"event\":\"e\",\"data\":{\"meetingCode\":\"m\",\"x\":\"\xff\",\"timestamp\":\"t\"}}"},
	{name: "spaces around every token", body: ` { "event" : "e" , "timestamp" : "t" , "data" : { "meetingCode" : "m" , "timestamp" : "t" , "a" : [ 1 , 2 ] } } `},
	{name: "spaces before the commas", body: `{"event":"e","data":{"timestamp":"t" , "meetingCode":"m"}  ,  "timestamp" :1 }`},
	{name: "first timestamp spaced out", body: `{ "timestamp" :  { "a" : 1 }  ,  "event":"e","data":{  "timestamp" : [ ]  , "meetingCode":"m"}}`},
	{name: "tabs, newlines, CRLF", body: "{\r\n\t\"event\":\t\"e\",\r\n\t\"data\":\t{\r\n\t\t\"meetingCode\":\"m\",\r\n\t\t\"timestamp\":\"t\"\r\n\t},\r\n\t\"timestamp\":\"t\"\r\n}\r\n"},
	{name: "spaces inside strings", body: `{"event":"e","data":{"meetingCode":"m","text":"a  b\tc \" d ","timestamp":" t "}}`},
	{name: "data before event", body: `{"data":{"meetingCode":"m","timestamp":"t"},"event":"e"}`},
	{name: "sourceId and numbers", body: `{"event":"e","data":{"meetingCode":"m","sourceId":"org","n":[0,-0.0,1e400,2E-3],"timestamp":-1}}`},
	{name: "recording", body: `{"event":"interview.recording","data":{"meetingCode":"m","videoUrl":"https://s3/x?X-Amz-Date=20260321T184000Z&X-Amz-Expires=60","videoApiUrl":"https://x","timestamp":"2026-03-21T18:40:00.000Z"}}`},
	{name: "recording without videoUrl", body: `{"event":"interview.recording","data":{"timestamp":"2026-03-21T18:40:00.000Z","meetingCode":"m"}}`},
	{name: "repeated other keys", body: `{"event":"e","x":1,"x":2,"data":{"meetingCode":"m","y":1,"y":2,"timestamp":"t"}}`},
	{name: "empty keys and strings", body: `{"":"","event":"e","data":{"":{},"meetingCode":"m","timestamp":""}}`},
	{name: "deep nesting", body: `{"event":"e","data":{"meetingCode":"m","x":[[[[{"timestamp":[[{}]]}]]]],"timestamp":[[[[]]]]}}`},
	{name: "data not an object", body: `{"event":"e","data":[{"timestamp":1}],"timestamp":2}`, refused: true},
	{name: "repeated data", body: `{"event":"e","data":{"meetingCode":"m"},"data":{"meetingCode":"m","timestamp":1}}`, refused: true},
	{name: "repeated data, first not an object", body: `{"event":"e","data":1,"data":{"timestamp":1},"timestamp":2}`, refused: true},
	{name: "array body", body: `[{"timestamp":1},{"data":{"timestamp":2}}]`, refused: true},
	{name: "string body", body: ` "timestamp" `, refused: true},
}

// TestFingerprintMatchesReference: the one-pass fingerprint gives the
// former sjson-based one's hex string on every sample, re-indented or not,
// and on every crafted case; ParseInbound answers as the former one did.
func TestFingerprintMatchesReference(t *testing.T) {
	bodies := map[string][]byte{}
	for _, tc := range fingerprintCases {
		bodies[tc.name] = []byte(tc.body)
	}
	for name, b := range sampleBodiesWithVariants(t) {
		bodies[name] = b
	}
	refused := map[string]bool{}
	for _, tc := range fingerprintCases {
		refused[tc.name] = tc.refused
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			assertSameFingerprint(t, body)
			if accepted := assertSameParse(t, body); accepted == refused[name] {
				t.Fatalf("ParseInbound accepted = %v, want %v", accepted, !refused[name])
			}
		})
	}
}

// TestFingerprintMatchesReferenceOnGeneratedBodies compares on thousands of
// random bodies ParseInbound accepts, shaped like Boooply's with timestamp
// members anywhere, repeated, escaped and nested, in random whitespace.
func TestFingerprintMatchesReferenceOnGeneratedBodies(t *testing.T) {
	g := bodyGen{r: rand.New(rand.NewPCG(1, 2))}
	for range 5000 {
		body := g.body()
		assertSameFingerprint(t, body)
		if !assertSameParse(t, body) {
			t.Fatalf("generated body refused: %s", body)
		}
	}
}

// FuzzFingerprintMatchesReference: fingerprint never panics, and on every
// body ParseInbound accepts it matches the reference; ParseInbound's answer
// (fields or error) always matches the former one. The input is also read
// as a generated body's shape. Seed corpus:
// testdata/fuzz/FuzzFingerprintMatchesReference.
func FuzzFingerprintMatchesReference(f *testing.F) {
	for _, b := range sampleBodiesWithVariants(f) {
		f.Add(b)
	}
	for _, tc := range fingerprintCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = fingerprint(body) // any bytes: must not panic
		if assertSameParse(t, body) {
			assertSameFingerprint(t, body)
		}
		// Most mutations leave no body ingest accepts: read the bytes
		// also as the choices of a generated body, which it always does.
		g := bodyGen{choices: body}
		generated := g.body()
		assertSameFingerprint(t, generated)
		if !assertSameParse(t, generated) {
			t.Fatalf("generated body refused: %s", generated)
		}
	})
}

func assertSameFingerprint(t testing.TB, body []byte) {
	t.Helper()
	got, err := fingerprint(body)
	want, wantErr := fingerprintReference(body)
	if got != want || (err == nil) != (wantErr == nil) {
		t.Fatalf("fingerprint(%q) = %s (err %v), want %s (err %v)", body, got, err, want, wantErr)
	}
}

// assertSameParse fails unless ParseInbound and the reference give the same
// Inbound or the same error on body, and reports whether body was accepted.
func assertSameParse(t testing.TB, body []byte) bool {
	t.Helper()
	got, err := ParseInbound(body)
	want, wantErr := parseInboundReference(body)
	if !reflect.DeepEqual(err, wantErr) {
		t.Fatalf("ParseInbound(%q) err = %v, want %v", body, err, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseInbound(%q) = %+v, want %+v", body, got, want)
	}
	return wantErr == nil
}

// sampleBodiesWithVariants returns every embedded sample, re-indented two
// ways, and the long transcript.
func sampleBodiesWithVariants(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{"long transcript": longTranscript(t)}
	for _, et := range EventTypes() {
		b, err := Sample(et.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[et.Name] = b
		for name, indent := range map[string]string{" indented": "  ", " tabbed": "\t"} {
			var buf bytes.Buffer
			if err := json.Indent(&buf, b, "", indent); err != nil {
				t.Fatal(err)
			}
			out[et.Name+name] = buf.Bytes()
		}
	}
	return out
}

// bodyGen builds bodies ParseInbound accepts, taking its choices from r,
// or else from the bytes of choices (0 once they run out), so that the
// fuzzer's mutations become changes of shape.
type bodyGen struct {
	r       *rand.Rand
	choices []byte
	b       []byte
}

func (g *bodyGen) intn(n int) int {
	if g.r != nil {
		return g.r.IntN(n)
	}
	if len(g.choices) == 0 {
		return 0
	}
	c := g.choices[0]
	g.choices = g.choices[1:]
	return int(c) % n
}

var (
	genSpaces  = []string{"", "", "", " ", "  ", "\n", "\t", "\r\n  "}
	genKeys    = []string{"timestamp", "timestamp", `time\u0073tamp`, `\u0074imestamp`, "x", `a\"b`, `timestamp\\`, "timestamps", ""}
	genStrings = []string{`""`, `"timestamp"`, `"a \"b\" \\"`, `"\u00e9\ud83d\ude00 é"`, `",\"timestamp\":1}"`, `" { } [ ] "`}
	genScalars = []string{"0", "-1.5e3", "true", "false", "null"}
)

func (g *bodyGen) body() []byte {
	g.b = nil
	g.space()
	g.object(0,
		func() { g.member(`event`, func() { g.put(`"interview.scores"`) }) },
		func() {
			g.member(`data`, func() {
				fixed := []func(){func() { g.member(`meetingCode`, func() { g.put(`"m"`) }) }}
				if g.intn(2) == 0 {
					fixed = append(fixed, func() { g.member(`sourceId`, func() { g.put(`"org"`) }) })
				}
				g.object(1, fixed...)
			})
		})
	g.space()
	return g.b
}

// object writes an object of the fixed members and a few random ones, shuffled.
func (g *bodyGen) object(depth int, fixed ...func()) {
	members := fixed
	for range g.intn(5) {
		key := genKeys[g.intn(len(genKeys))]
		if depth > 0 && g.intn(8) == 0 {
			key = "data" // a nested look-alike of the envelope
		}
		members = append(members, func() { g.member(key, func() { g.value(depth + 1) }) })
	}
	for i := len(members) - 1; i > 0; i-- {
		j := g.intn(i + 1)
		members[i], members[j] = members[j], members[i]
	}
	g.put("{")
	for i, m := range members {
		if i > 0 {
			g.space()
			g.put(",")
		}
		g.space()
		m()
	}
	g.space()
	g.put("}")
}

func (g *bodyGen) member(key string, value func()) {
	g.put(`"` + key + `"`)
	g.space()
	g.put(":")
	g.space()
	value()
}

func (g *bodyGen) value(depth int) {
	switch n := g.intn(6); {
	case depth < 4 && n == 0:
		g.object(depth)
	case depth < 4 && n == 1:
		g.put("[")
		for i := range g.intn(3) {
			if i > 0 {
				g.put(",")
			}
			g.space()
			g.value(depth + 1)
			g.space()
		}
		g.put("]")
	case n < 4:
		g.put(genStrings[g.intn(len(genStrings))])
	default:
		g.put(genScalars[g.intn(len(genScalars))])
	}
}

func (g *bodyGen) space()       { g.put(genSpaces[g.intn(len(genSpaces))]) }
func (g *bodyGen) put(s string) { g.b = append(g.b, s...) }
