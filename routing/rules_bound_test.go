package routing

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// longTranscript is a two-hour interview.transcript: 2,400 turns, about 1 MB.
func longTranscript(t testing.TB) []byte {
	t.Helper()
	turns := make([]map[string]any, 2400)
	for i := range turns {
		turns[i] = map[string]any{"speaker": "Jane Doe", "text": strings.Repeat("word ", 70), "startMs": i * 3000}
	}
	b, err := json.Marshal(map[string]any{"event": "interview.transcript",
		"data": map[string]any{"meetingCode": "Boooply-AI-1", "sourceId": "org_1", "transcript": turns}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRulesOutputBound: a rule set whose output would pass the 4 MiB limit
// stops at the rule that passes it, before building the output: a template
// repeating the whole transcript, or many rules copying it. Unbounded, each
// case builds several hundred MB first. Not parallel: the allocation count
// must be this case's own.
func TestRulesOutputBound(t *testing.T) {
	repeated := strings.Repeat("{{data.transcript[*].text}} ", 200)
	var copies []string
	for i := range 100 {
		copies = append(copies, fmt.Sprintf(`{"target":"t%d","from":"data.transcript"}`, i))
	}
	cases := []struct{ name, spec, wantErr string }{
		{"template repeating the transcript", `{"mode":"rules","rules":[{"target":"all","template":` + tmplJSON(repeated) + `}]}`,
			"rules[0] (target all): template text is longer than 4194304 bytes"},
		{"rules copying the transcript", `{"mode":"rules","rules":[` + strings.Join(copies, ",") + `]}`,
			"(target t4): the mapped output is larger than 4194304 bytes"},
	}
	body := longTranscript(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCompile(t, tc.spec)
			in := RenderInput{EventType: "interview.transcript", MeetingCode: "Boooply-AI-1", Body: body}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			out, err := c.Apply(context.Background(), in, nil)
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
				t.Errorf("allocated %d MB, want at most 64 MB", n>>20)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %d bytes (err %v), want an error mentioning %q", len(out), err, tc.wantErr)
			}
		})
	}
	// Below the limit nothing changes: three copies of the transcript fit.
	c := mustCompile(t, `{"mode":"rules","rules":[`+strings.Join(copies[:3], ",")+`]}`)
	out, err := c.Apply(context.Background(), RenderInput{EventType: "interview.transcript", Body: body}, nil)
	if err != nil || len(out) < 3*len(body)/2 {
		t.Fatalf("three copies: %d bytes (err %v)", len(out), err)
	}
}
