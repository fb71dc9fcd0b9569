package routing

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/problem"
)

// sampleNames are the four Boooply samples (webhooks/samples, read from
// disk because routing must not import webhooks).
var sampleNames = []string{"transcript", "evaluation", "scores", "recording"}

func mustSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../webhooks/samples/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleInput(t testing.TB, name string) RenderInput {
	return RenderInput{TenantID: 7, EndpointID: 9, EventType: "interview." + name,
		MeetingCode: "Boooply-AI-1234567890", Revision: 1, Body: mustSample(t, name)}
}

func mustCompile(t testing.TB, spec string) *Compiled {
	t.Helper()
	m, err := ParseMapping([]byte(spec))
	if err != nil {
		t.Fatalf("ParseMapping: %v", err)
	}
	c, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRulesApply(t *testing.T) {
	cases := []struct {
		name, spec, sample string
		corr               map[string]string
		want               string
	}{
		{"paths, index, wildcard and key order", `{"mode":"rules","rules":[
			{"target":"z_first","from":"data.candidateName"},
			{"target":"a.score","from":"data.scores.technicalSkills"},
			{"target":"a.first_line","from":"data.transcript[0].text"},
			{"target":"speakers","from":"data.transcript[*].speaker","ops":["first"]}]}`, "transcript", nil,
			`{"z_first":"Jane Doe","a":{"first_line":"Tell me about your experience with React."},"speakers":"AI Interviewer"}`},
		{"template, constant, map and scale", `{"mode":"rules","rules":[
			{"target":"title","template":"{{data.candidateName}} — {{data.recommendation}}"},
			{"target":"decision","from":"data.recommendation","ops":[{"op":"map","args":["STRONG_PASS=hire","PASS=hire","*=no_hire"]}]},
			{"target":"rating","from":"data.overallRating","ops":[{"op":"scale","args":["1","5","0","100"]}]},
			{"target":"max","value":100},
			{"target":"flags","from":"data.redFlags[*].flag","ops":[{"op":"join","args":["; "]}]},
			{"target":"missing","from":"data.nope"}]}`, "evaluation", nil,
			`{"title":"Jane Doe — PASS","decision":"hire","rating":50,"max":100,"flags":"Vague on past projects"}`},
		{"array targets fill in rule order", `{"mode":"rules","rules":[
			{"target":"attributes[0].label","value":"Recommendation"},
			{"target":"attributes[0].value","from":"data.recommendation"},
			{"target":"attributes[1].label","value":"Missing","ops":["omit_if_empty"]},
			{"target":"attributes[2].label","value":"Overall"},
			{"target":"attributes[2].value","from":"data.scores.overall"}]}`, "evaluation", nil,
			`{"attributes":[{"label":"Recommendation","value":"PASS"},{"label":"Missing"},{"label":"Overall","value":72}]}`},
		{"keep unmapped overrides in place", `{"mode":"rules","keep_unmapped":true,"rules":[
			{"target":"event","value":"scores"},{"target":"extra","from":"meta.tenant_id"}]}`, "recording", nil,
			`{"event":"scores","data":` + recordingData + `,"extra":7}`},
		{"by_event picks the event type", `{"mode":"rules","by_event":{
			"interview.scores":{"rules":[{"target":"s","from":"data.scores.overall"}]},
			"*":{"rules":[{"target":"other","from":"event"}]}}}`, "scores", nil, `{"s":72}`},
		{"by_event star catches the rest", `{"mode":"rules","by_event":{
			"interview.scores":{"rules":[{"target":"s","from":"data.scores.overall"}]},
			"*":{"rules":[{"target":"other","from":"event"}]}}}`, "recording", nil, `{"other":"interview.recording"}`},
		{"correlation values", `{"mode":"rules","rules":[
			{"target":"candidateId","from":"correlation.candidate_id","required":true},
			{"target":"note","template":"app {{correlation.application_id}}"}]}`, "scores",
			map[string]string{"candidate_id": "123", "application_id": "9"}, `{"candidateId":"123","note":"app 9"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := mustCompile(t, tc.spec).Apply(context.Background(), sampleInput(t, tc.sample), tc.corr)
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %s (err %v)\nwant %s", got, err, tc.want)
			}
		})
	}
}

const recordingData = `{"meetingCode":"Boooply-AI-1234567890","title":"Senior Frontend Engineer Interview","source":"Acme Corp","sourceId":"org_7234567890","sourcePlatform":"AI TalentFlow","duration":1234,"format":"mp4","videoUrl":"https://s3.amazonaws.com/...?X-Amz-Expires=604800&...","videoApiUrl":"https://api.meetings.boooply.com/api/integration/interviews/Boooply-AI-1234567890/recording","timestamp":"2026-03-21T18:40:00.000Z"}`

func TestNumbersKeepTheirSourceText(t *testing.T) {
	in := RenderInput{EventType: "x", Body: []byte(`{"event":"x","data":{"a":72.0,"b":12345678901234567890123,"c":1e3}}`)}
	for _, spec := range []string{
		`{"mode":"rules","rules":[{"target":"a","from":"data.a"},{"target":"b","from":"data.b"},{"target":"c","from":"data.c"}]}`,
		`{"mode":"jq","program":".data | {a, b, c}"}`,
	} {
		got, err := mustCompile(t, spec).Apply(context.Background(), in, nil)
		if err != nil || string(got) != `{"a":72.0,"b":12345678901234567890123,"c":1e3}` {
			t.Errorf("%s: got %s (err %v)", spec, got, err)
		}
	}
}

func TestRenderErrorsNameTheRule(t *testing.T) {
	cases := []struct{ name, spec, sample, want string }{
		{"op type error", `{"mode":"rules","rules":[{"target":"a","from":"data.title"},{"target":"b","from":"data.candidateName","ops":[{"op":"scale","args":["1","5","0","100"]}]}]}`,
			"evaluation", `rules[1].ops[0] (target b): scale: "Jane Doe" is not a number`},
		{"required missing", `{"mode":"rules","rules":[{"target":"a","from":"data.nope","required":true}]}`,
			"evaluation", `rules[0] (target a): required value data.nope is missing`},
		{"correlation missing", `{"mode":"rules","rules":[{"target":"a","from":"correlation.candidate_id","required":true}]}`,
			"evaluation", `correlation candidate_id missing for meetingCode Boooply-AI-1234567890`},
		{"target clash", `{"mode":"rules","rules":[{"target":"a","value":1},{"target":"a[0]","value":2}]}`,
			"evaluation", `rules[1] (target a[0]): a already holds a number`},
		{"jq not an object", `{"mode":"jq","program":".data.scores.overall"}`, "scores", "produced a number; it must produce one object"},
		{"jq two outputs", `{"mode":"jq","program":"{a:1},{b:2}"}`, "scores", "more than one output"},
		{"jq no output", `{"mode":"jq","program":"empty"}`, "scores", "no output"},
		{"jq runtime error", `{"mode":"jq","program":"{a: (.data.candidateName + 1)}"}`, "scores", "jq: cannot add"},
		{"jq endless", `{"mode":"jq","program":"{a: last(range(1e12))}"}`, "scores", "ran longer than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := mustCompile(t, tc.spec).Apply(context.Background(), sampleInput(t, tc.sample), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	_, err := mustCompile(t, `{"mode":"rules","rules":[{"target":"a","from":"correlation.x","required":true}]}`).
		Apply(context.Background(), sampleInput(t, "scores"), nil)
	if !IsCorrelationMissing(err) {
		t.Fatalf("IsCorrelationMissing(%v) = false", err)
	}
}

func TestInvalidMappingsAreRefusedWithDetails(t *testing.T) {
	cases := []struct{ name, spec, field, reason string }{
		{"unknown op", `{"mode":"rules","rules":[{"target":"a","from":"data.x"},{"target":"b","from":"data.y","ops":["uper"]}]}`, "rules[1].ops[0]", `unknown operation "uper"`},
		{"wrong arg count", `{"mode":"rules","rules":[{"target":"a","from":"data.x","ops":[{"op":"scale","args":["1"]}]}]}`, "rules[0].ops[0]", "takes 4 arguments, got 1 (1); usage: scale A B C D"},
		{"bad path", `{"mode":"rules","rules":[{"target":"a","from":"data..x"}]}`, "rules[0].from", "empty key"},
		{"bad index", `{"mode":"rules","rules":[{"target":"a","from":"data.t[x]"}]}`, "rules[0].from", `index "x"`},
		{"wildcard target", `{"mode":"rules","rules":[{"target":"a[*]","value":1}]}`, "rules[0].target", "[*] is not allowed"},
		{"two sources", `{"mode":"rules","rules":[{"target":"a","from":"data.x","value":1}]}`, "rules[0]", "exactly one of"},
		{"no source", `{"mode":"rules","rules":[{"target":"a"}]}`, "rules[0]", "exactly one of"},
		{"bad template", `{"mode":"rules","rules":[{"target":"a","template":"{{data.x"}]}`, "rules[0].template", "unclosed"},
		{"by_event rule", `{"mode":"rules","by_event":{"interview.scores":{"rules":[{"target":"","from":"data.x"}]}}}`, "by_event.interview.scores.rules[0].target", "path is empty"},
		{"path outside the envelope", `{"mode":"rules","rules":[{"target":"a","from":"candidateName"}]}`, "rules[0].from",
			"candidateName is not in any Boooply event: paths start with event, data., correlation. or meta. (did you mean data.candidateName?)"},
		{"recording link under another name", `{"mode":"rules","rules":[{"target":"a","from":"switchboard.recordingLink"}]}`, "rules[0].from",
			"switchboard.recordingLink is not in any Boooply event: paths start with event, data., correlation. or meta. (did you mean meta.recording_link?)"},
		{"unknown meta value", `{"mode":"rules","rules":[{"target":"a","from":"meta.recordingLink"}]}`, "rules[0].from",
			"meta.recordingLink is not a meta value: meta.tenant_id, meta.endpoint_id, meta.event_type, meta.meeting_code, meta.revision, meta.recording_link"},
		{"template placeholder outside the envelope", `{"mode":"rules","rules":[{"target":"a","template":"{{data.title}} {{scores.overall}}"}]}`, "rules[0].template",
			"{{scores.overall}}: scores.overall is not in any Boooply event"},
		{"jq compile error", `{"mode":"jq","program":"{a: .x"}`, "program", "does not parse: unexpected EOF (line 1, column 7)"},
		{"jq unknown function", `{"mode":"jq","program":"{a: nosuch(.x)}"}`, "program", "does not compile"},
		{"jq env", `{"mode":"jq","program":"{a: $ENV.HOME}"}`, "program", "$ENV is not available"},
		{"jq env func", `{"mode":"jq","program":"{a: env.HOME}"}`, "program", "env is not available"},
		{"jq input", `{"mode":"jq","program":"{a: input}"}`, "program", "input is not available"},
		{"jq debug", `{"mode":"jq","program":"{a: (1|debug)}"}`, "program", "debug is not available"},
		{"jq halt", `{"mode":"jq","program":"halt"}`, "program", "halt is not available"},
		{"jq import", `{"mode":"jq","program":"import \"a\" as a; {}"}`, "program", "import and include"},
		{"jq empty", `{"mode":"jq"}`, "program", "is required"},
		{"unknown mode", `{"mode":"xslt"}`, "mode", `not "xslt"`},
		{"unknown field", `{"mode":"rules","rulez":[]}`, "mapping", `unknown field "rulez"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseMapping([]byte(tc.spec))
			p, ok := problem.As(err)
			if !ok || p.Code != problem.CodeInvalid || len(p.Details) == 0 {
				t.Fatalf("err = %v, want problem.Invalid with details", err)
			}
			d := p.Details[0]
			if d.Field != tc.field || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("detail = %+v, want field %q reason ~ %q", d, tc.field, tc.reason)
			}
		})
	}
}

func TestURLTemplates(t *testing.T) {
	e := &env{body: mustDecode(t, `{"data":{"meetingCode":"a/b c"}}`), meta: newObject(), meetingCode: "M1"}
	e.correlation = newObject()
	e.correlation.set("candidate_id", "42/x")
	got, err := renderURL("https://h.example/v1/candidates/{{correlation.candidate_id}}/notes?m={{data.meetingCode}}", e)
	if want := "https://h.example/v1/candidates/42%2Fx/notes?m=a%2Fb+c"; err != nil || got != want {
		t.Fatalf("got %q (err %v), want %q", got, err, want)
	}
	// A Bullhorn URL keeps its session placeholder for the worker; what follows is filled and escaped.
	got, err = renderURL("{{bullhorn.rest_url}}entity/Note/{{correlation.candidate_id}}?m={{data.meetingCode}}", e)
	if want := "{{bullhorn.rest_url}}entity/Note/42%2Fx?m=a%2Fb+c"; err != nil || got != want {
		t.Fatalf("got %q (err %v), want %q", got, err, want)
	}
	_, err = renderURL("https://h.example/{{correlation.order_id}}", e)
	if !IsCorrelationMissing(err) || !strings.Contains(err.Error(), "correlation order_id missing for meetingCode M1") {
		t.Fatalf("err = %v, want a correlation-missing error", err)
	}
	// A dot segment would move the request to another path of the host.
	for _, dots := range []string{".", ".."} {
		e.correlation.set("candidate_id", dots)
		if got, err := renderURL("https://h.example/v1/candidates/{{correlation.candidate_id}}/notes", e); err == nil || !strings.Contains(err.Error(), "step out of the path") {
			t.Errorf("candidate_id %q: got %q (err %v), want an error", dots, got, err)
		}
		if got, err := renderURL("https://h.example/notes?c={{correlation.candidate_id}}", e); err != nil || !strings.HasSuffix(got, "?c="+dots) {
			t.Errorf("candidate_id %q in the query: got %q (err %v), want it kept", dots, got, err)
		}
	}
	for _, bad := range []string{"https://{{correlation.host}}/x", "{{data.x}}/y", "https://h{{data.x}}"} {
		if err := CheckURLTemplate(bad); err == nil {
			t.Errorf("CheckURLTemplate(%q) = nil, want an error", bad)
		}
	}
}

func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, err := decodeOrdered([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRuleErrorIsTyped(t *testing.T) {
	_, err := mustCompile(t, `{"mode":"rules","rules":[{"target":"a","from":"data.title","ops":["first"]}]}`).
		Apply(context.Background(), sampleInput(t, "evaluation"), nil)
	var re *RuleError
	if !errors.As(err, &re) || re.Field != "rules[0].ops[0]" || re.Target != "a" {
		t.Fatalf("err = %#v, want a RuleError for rules[0].ops[0]", err)
	}
}

func readSample(name string) ([]byte, error) {
	return os.ReadFile("../webhooks/samples/" + name + ".json")
}

func TestEncodeStrings(t *testing.T) {
	for in, want := range map[string]string{
		`plain — ü <a&b>`: `"plain — ü <a&b>"`,
		"q\"b\\n\n\x01":   `"q\"b\\n\n\u0001"`,
		"bad \xff":        `"bad \ufffd"`,
		"ls \u2028":       `"ls \u2028"`,
	} {
		var buf bytes.Buffer
		writeString(&buf, in)
		if buf.String() != want {
			t.Errorf("writeString(%q) = %s, want %s", in, buf.String(), want)
		}
	}
}

func TestDecodeOrdered(t *testing.T) {
	for in, want := range map[string]string{
		`{"b":1,"a":{"z":[1.50,"\u00e9\ud83d\ude00",null,true]},"b":2}`: `{"b":2,"a":{"z":[1.50,"é😀",null,true]}}`,
		` [ -0 , 1e3 ] `: `[-0,1e3]`,
	} {
		v, err := decodeOrdered([]byte(in))
		var buf bytes.Buffer
		if err == nil {
			err = encodeOrdered(&buf, v)
		}
		if err != nil || buf.String() != want {
			t.Errorf("%s: got %s (err %v), want %s", in, buf.String(), err, want)
		}
	}
	deep := strings.Repeat("[", maxDepth+5) + strings.Repeat("]", maxDepth+5)
	for _, bad := range []string{`{"a":}`, `{"a":1}x`, deep, ""} {
		if _, err := decodeOrdered([]byte(bad)); err == nil {
			t.Errorf("decodeOrdered(%.20q) = nil error", bad)
		}
	}
}

// TestSourceCheckIsForSavingOnly: a version stored before the source check
// still compiles and renders (its odd rule stays empty), so an upgrade
// never turns working deliveries into mapping errors.
func TestSourceCheckIsForSavingOnly(t *testing.T) {
	m := &Mapping{Mode: ModeRules, RuleSet: RuleSet{Rules: []Rule{{Target: "a", From: "candidateName"}, {Target: "b", From: "data.candidateName"}}}}
	c, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Apply(context.Background(), sampleInput(t, "evaluation"), nil)
	if err != nil || string(out) != `{"b":"Jane Doe"}` {
		t.Fatalf("got %s (err %v)", out, err)
	}
	if _, err := NewStore(nil).CreateVersion(context.Background(), 1, 1, m, "a", ""); err == nil || !strings.Contains(err.Error(), "did you mean data.candidateName?") {
		t.Fatalf("saving: err = %v, want the source refused", err)
	}
}
