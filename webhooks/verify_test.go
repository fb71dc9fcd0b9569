package webhooks

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// encodeNoHTMLEscape is how a JavaScript sender (JSON.stringify) writes text.
func encodeNoHTMLEscape(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func TestVerify(t *testing.T) {
	sample, err := Sample("interview.evaluation")
	if err != nil {
		t.Fatal(err)
	}
	hostile := map[string]any{"event": "interview.transcript", "data": map[string]any{
		"meetingCode": "m-1", "candidateName": "Zoë <b>&</b> 山田", "score": 72.0}}
	escaped, _ := json.Marshal(hostile) // Go escapes <, >, & as \u003c…
	unescaped := encodeNoHTMLEscape(t, hostile)
	oddNumbers := []byte(`{"data":{"score":72.0,"big":1e2,"name":"\u00e9t\u00e9","meetingCode":"m"},"event":"interview.scores"}`)
	pretty := []byte("{\n  \"event\": \"interview.scores\",\n  \"data\": {\"meetingCode\": \"m\"}\n}")
	// Python's json.dumps default (ensure_ascii) escapes non-ASCII; JSON.stringify does not.
	pythonASCII := []byte(`{"event":"interview.evaluation","data":{"meetingCode":"m","candidateName":"Zo\u00eb \u5c71\u7530","summary":"<b>&</b>"}}`)
	rawUTF8 := []byte(`{"event":"interview.evaluation","data":{"meetingCode":"m","candidateName":"Zoë 山田","summary":"<b>&</b>"}}`)
	reordered := []byte(`{"data":{"timestamp":"2026-03-21T18:35:00.000Z","sourceId":"org","meetingCode":"m"},"event":"interview.scores"}`)
	prettyUpper := []byte("{ \"event\" : \"interview.scores\" ,\n\t\"data\" : { \"meetingCode\" : \"m\" } }\n")
	var compactPretty bytes.Buffer
	_ = json.Compact(&compactPretty, pretty)

	cases := []struct {
		name    string
		secrets []string
		body    []byte
		header  string
		want    error
	}{
		{name: "sample, exact bytes", secrets: []string{"s1"}, body: sample, header: sign("s1", sample)},
		{name: "upper-case hex", secrets: []string{"s1"}, body: sample, header: strings.ToUpper(sign("s1", sample))},
		{name: "sha256= prefix", secrets: []string{"s1"}, body: sample, header: "sha256=" + sign("s1", sample)},
		{name: "second secret during rotation", secrets: []string{"old", "new"}, body: sample, header: sign("new", sample)},
		{name: "go encoder escapes html", secrets: []string{"s1"}, body: escaped, header: sign("s1", escaped)},
		{name: "js-style encoder keeps html", secrets: []string{"s1"}, body: unescaped, header: sign("s1", unescaped)},
		{name: "numbers and escaped unicode as sent", secrets: []string{"s1"}, body: oddNumbers, header: sign("s1", oddNumbers)},
		{name: "proxy re-formatted whitespace", secrets: []string{"s1"}, body: pretty, header: sign("s1", compactPretty.Bytes())},
		{name: "non-ASCII escaped as \\u (Python ensure_ascii)", secrets: []string{"s1"}, body: pythonASCII, header: sign("s1", pythonASCII)},
		{name: "non-ASCII raw UTF-8 (JavaScript)", secrets: []string{"s1"}, body: rawUTF8, header: sign("s1", rawUTF8)},
		{name: "keys in another order", secrets: []string{"s1"}, body: reordered, header: sign("s1", reordered)},
		{name: "re-indented by a proxy, upper-case hex", secrets: []string{"s1"}, body: prettyUpper, header: strings.ToUpper(sign("s1", compactOf(t, prettyUpper)))},
		{name: "signature of the compact form of other content", secrets: []string{"s1"}, body: prettyUpper, header: sign("s1", compactOf(t, reordered)), want: ErrBadSignature},
		{name: "a third secret during rotation", secrets: []string{"a", "b", "c"}, body: rawUTF8, header: sign("c", rawUTF8)},
		{name: "missing header", secrets: []string{"s1"}, body: sample, header: "", want: ErrMissingSignature},
		{name: "wrong secret", secrets: []string{"s1"}, body: sample, header: sign("s2", sample), want: ErrBadSignature},
		{name: "not hex", secrets: []string{"s1"}, body: sample, header: strings.Repeat("zz", 32), want: ErrBadSignature},
		{name: "short signature", secrets: []string{"s1"}, body: sample, header: "a1b2c3d4", want: ErrBadSignature},
		{name: "body changed by one byte", secrets: []string{"s1"}, body: append(bytes.Clone(sample[:len(sample)-2]), '}', '}'), header: sign("s1", sample), want: ErrBadSignature},
		{name: "no candidate secret", secrets: nil, body: sample, header: sign("s1", sample), want: ErrUnknownSource},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var cands [][]byte
			for _, s := range tc.secrets {
				cands = append(cands, []byte(s))
			}
			err := VerifyWith(cands, tc.body, tc.header)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func compactOf(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func BenchmarkVerify(b *testing.B) {
	body, _ := Sample("interview.evaluation")
	cands := [][]byte{[]byte("s1")}
	sig := sign("s1", body)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyWith(cands, body, sig); err != nil {
			b.Fatal(err)
		}
	}
}
