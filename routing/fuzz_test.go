package routing

import (
	"context"
	"encoding/json"
	"testing"
)

// fuzzRules is a mapping touching every source kind and many operations.
const fuzzRules = `{"mode":"rules","keep_unmapped":true,"rules":[
{"target":"a.b[0].c","from":"data.x[*].y","ops":["first",{"op":"default","args":["0"]},{"op":"convert","args":["number"]},{"op":"scale","args":["1","5","0","100"]}]},
{"target":"a.b[1]","template":"{{data.candidateName}} {{data.transcript[*].text}} {{correlation.id}}","ops":[{"op":"truncate","args":["20","…"]},"upper"]},
{"target":"t","from":"data.timestamp","ops":[{"op":"date","args":["unix"]}]},
{"target":"j","from":"data.redFlags[*].flag","ops":["join","lower",{"op":"split","args":[" "]}]},
{"target":"m","from":"data.recommendation","ops":[{"op":"map","args":["PASS=1","*=null"]},"omit_if_empty"]},
{"target":"data","value":{"k":[1,2]}},
{"target":"data.k[5]","from":"meta.revision","ops":[{"op":"round","args":["2"]}]}]}`

// FuzzRules: whatever the event body and mapping, rendering never panics
// and, when it succeeds, yields valid JSON. Corpus: testdata/fuzz/FuzzRules.
func FuzzRules(f *testing.F) {
	for _, s := range sampleNames {
		b, _ := readSample(s)
		f.Add(fuzzRules, b)
	}
	f.Add(`{"mode":"rules","rules":[{"target":"x[0][1]","from":"a[0][0]"}]}`, []byte(`{"a":[[1]]}`))
	f.Fuzz(func(t *testing.T, spec string, body []byte) {
		m, err := ParseMapping([]byte(spec))
		if err != nil {
			return
		}
		c, err := Compile(m)
		if err != nil {
			t.Fatalf("ParseMapping accepted what Compile refuses: %v", err)
		}
		in := RenderInput{EventType: "interview.evaluation", MeetingCode: "M", Body: body}
		out, err := renderWith(context.Background(), c, "https://x.example/{{data.meetingCode}}", in, map[string]string{"id": "1"}, Rendered{})
		if err == nil && m.Mode != ModePassthrough && !json.Valid(out.Body) {
			t.Fatalf("invalid JSON output %q", out.Body)
		}
	})
}

// FuzzJQ: jq programs over arbitrary bodies never panic and either fail or
// produce one JSON object (string repetition and far array indexes are
// bounded by the guard, jq_guard.go).
func FuzzJQ(f *testing.F) {
	for _, s := range sampleNames {
		b, _ := readSample(s)
		f.Add(`{a: .data.scores.overall, b: [.data.transcript[]?.text], c: $correlation.id, d: $meta.event_type}`, b)
	}
	f.Add(`reduce range(10) as $i ({}; .["k\($i)"] = $i)`, []byte(`{}`))
	f.Add(`.data | to_entries | map({(.key): (.value|tostring)}) | add`, []byte(`{"data":{"a":1e500}}`))
	f.Add(`{a: ("x" * 1e9 | length), b: (.[1e9] = 1)}`, []byte(`{}`))
	f.Fuzz(func(t *testing.T, program string, body []byte) {
		if len(program) > 200 {
			return
		}
		c, err := Compile(&Mapping{Mode: ModeJQ, Program: program})
		if err != nil {
			return
		}
		out, err := c.Apply(context.Background(), RenderInput{EventType: "e", Body: body}, map[string]string{"id": "1"})
		if err == nil && (!json.Valid(out) || len(out) == 0 || out[0] != '{') {
			t.Fatalf("output is not one object: %q", out)
		}
	})
}
