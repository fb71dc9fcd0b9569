package chaos

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// hostileCase is one request a hostile or broken sender might make.
type hostileCase struct {
	name    string
	body    []byte
	ctype   string            // Content-Type; "" sends application/json
	headers map[string]string // extra headers
	sig     string            // "" signs the body correctly
	want    []int             // acceptable statuses
}

// ev builds a scores-shaped event around data (a JSON object's inside).
func ev(event, data string) []byte {
	return []byte(`{"event":` + event + `,"data":{` + data + `}}`)
}

const okData = `"meetingCode":"hostile-1","sourceId":"org_hostile","timestamp":"2026-03-21T18:35:00.000Z"`

func hostileCases() []hostileCase {
	bad := []int{http.StatusBadRequest}
	cases := []hostileCase{
		{name: "empty body", body: nil, want: bad},
		{name: "JSON null", body: []byte("null"), want: bad},
		{name: "JSON array", body: []byte("[]"), want: bad},
		{name: "truncated object", body: []byte(`{"event":"interview.scores","data":{"meetingCode":`), want: bad},
		{name: "100k unclosed brackets", body: append([]byte(`{"event":"interview.scores","data":`), bytes.Repeat([]byte("["), 100_000)...), want: bad},
		{name: "100k nested arrays (valid JSON)", body: ev(`"interview.scores"`, okData+`,"deep":`+strings.Repeat("[", 100_000)+strings.Repeat("]", 100_000)),
			want: []int{http.StatusOK, http.StatusBadRequest}},
		{name: "invalid UTF-8 in meetingCode", body: ev(`"interview.scores"`, "\"meetingCode\":\"bad-\xff\xfe\",\"sourceId\":\"org_hostile\""), want: bad},
		{name: "invalid UTF-8 outside strings", body: append(ev(`"interview.scores"`, okData), 0xff), want: bad},
		{name: "raw NUL byte", body: []byte("{\"event\":\"interview.scores\",\x00\"data\":{}}"), want: bad},
		{name: "escaped NUL in meetingCode", body: ev(`"interview.scores"`, `"meetingCode":"nul-\u0000-x","sourceId":"org_hostile"`), want: bad},
		{name: "escaped NUL in sourceId", body: ev(`"interview.scores"`, `"meetingCode":"nul-src","sourceId":"org\u0000x"`), want: bad},
		{name: "duplicate event key", body: []byte(`{"event":"interview.scores","event":"interview.transcript","data":{` + okData + `}}`), want: bad},
		{name: "duplicate meetingCode key", body: ev(`"interview.scores"`, `"meetingCode":"dup-a","meetingCode":"dup-b","sourceId":"org_hostile"`), want: bad},
		{name: "duplicate sourceId key", body: ev(`"interview.scores"`, `"meetingCode":"dup-src","sourceId":"org_a","sourceId":"org_b"`), want: bad},
		{name: "meetingCode of 10k bytes", body: ev(`"interview.scores"`, `"meetingCode":"`+strings.Repeat("m", 10_000)+`"`), want: bad},
		{name: "Content-Type text/plain", body: ev(`"interview.scores"`, okData), ctype: "text/plain", want: []int{http.StatusUnsupportedMediaType}},
		{name: "Content-Type garbage", body: ev(`"interview.scores"`, okData), ctype: "application/json; charset=\"", want: []int{http.StatusUnsupportedMediaType}},
		{name: "no signature", body: ev(`"interview.scores"`, okData), sig: "-", want: []int{http.StatusUnauthorized}},
		{name: "non-hex signature", body: ev(`"interview.scores"`, okData), sig: "zz<script>", want: []int{http.StatusUnauthorized}},
		{name: "event header disagrees with body", body: ev(`"interview.scores"`, okData),
			headers: map[string]string{"X-Boooply-Event": "interview.transcript"}, want: bad},
		{name: "meeting header disagrees with body", body: ev(`"interview.scores"`, okData),
			headers: map[string]string{"X-Boooply-Meeting-Id": "someone-else"}, want: bad},
	}
	return append(cases, wrongTypeCases()...)
}

// wrongTypeCases sends every documented routing field with each wrong JSON type.
func wrongTypeCases() []hostileCase {
	var out []hostileCase
	wrong := []string{`1`, `true`, `[]`, `{}`, `""`}
	for _, v := range append(wrong, `null`) {
		out = append(out, hostileCase{name: "event=" + v, body: ev(v, okData), want: []int{http.StatusBadRequest}})
	}
	for _, v := range []string{`1`, `"x"`, `[]`, `null`, `true`} {
		out = append(out, hostileCase{name: "data=" + v, body: []byte(`{"event":"interview.scores","data":` + v + `}`), want: []int{http.StatusBadRequest}})
	}
	for _, v := range append(wrong, `null`) {
		out = append(out, hostileCase{name: "meetingCode=" + v, body: ev(`"interview.scores"`, `"meetingCode":`+v+`,"sourceId":"org_hostile"`), want: []int{http.StatusBadRequest}})
	}
	for _, v := range []string{`1`, `true`, `[]`, `{}`} {
		out = append(out, hostileCase{name: "sourceId=" + v, body: ev(`"interview.scores"`, `"meetingCode":"wt-src","sourceId":`+v), want: []int{http.StatusBadRequest}})
	}
	return out
}

// bigBody is a valid event padded to n bytes.
func bigBody(n int) []byte {
	head := `{"event":"interview.transcript","data":{"meetingCode":"big-1","sourceId":"org_hostile","pad":"`
	return []byte(head + strings.Repeat("x", n-len(head)-3) + `"}}`)
}

// TestHostileInput sends the table to a live server (each dialect): each
// case gets one of its statuses with a JSON error body, the server answers
// /healthz after every case, and its memory stays bounded.
func TestHostileInput(t *testing.T) {
	for _, target := range targets(t) {
		t.Run(target.name, func(t *testing.T) {
			srv := startServer(t, target.url)
			client := &http.Client{Timeout: 30 * time.Second}
			before := srv.rssKB()
			for _, tc := range hostileCases() {
				code, body := sendHostile(t, client, srv.base(), tc)
				switch {
				case !slices.Contains(tc.want, code):
					t.Errorf("%s: got %d %.200s, want one of %v", tc.name, code, body, tc.want)
				case code >= 400 && !isProblem(body):
					t.Errorf("%s: %d answer is not a JSON problem: %.200s", tc.name, code, body)
				}
				if !srv.alive() || status(srv.base()+"/healthz") != http.StatusOK {
					t.Fatalf("%s: server is down afterwards:\n%s", tc.name, tail(srv.logs()))
				}
			}
			after := srv.rssKB()
			noPanics(t, srv.logs())
			if after-before > 200*1024 {
				t.Errorf("RSS grew from %d kB to %d kB over the table", before, after)
			}
			report(t, map[string]any{"cases": len(hostileCases()), "rss_before_kb": before, "rss_after_kb": after})
		})
	}
}

func sendHostile(t *testing.T, client *http.Client, base string, tc hostileCase) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/boooply", bytes.NewReader(tc.body))
	req.Header.Set("Content-Type", "application/json")
	if tc.ctype != "" {
		req.Header.Set("Content-Type", tc.ctype)
	}
	switch tc.sig {
	case "":
		req.Header.Set("X-Boooply-Signature", sign(tc.body))
	case "-":
	default:
		req.Header.Set("X-Boooply-Signature", tc.sig)
	}
	for k, v := range tc.headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s: %v", tc.name, err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// isProblem reports whether b is Switchboard's JSON error shape.
func isProblem(b []byte) bool {
	var p struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	return json.Unmarshal(b, &p) == nil && p.Code != "" && p.Message != ""
}

// tail returns the last lines of a log, for failure messages.
func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}

// target is a database a test may run the server on.
type target struct{ name, url string }

// targets returns a fresh SQLite file and, where PostgreSQL is installed, a
// private cluster: a server under attack opens up to 41 connections, which
// the shared server's other tests need.
func targets(t *testing.T) []target {
	out := []target{{"sqlite", "sqlite:" + t.TempDir() + "/switchboard.db"}}
	if privatePGAvailable() {
		out = append(out, target{"postgres", startPrivatePG(t).url()})
	}
	return out
}
