package webhooks

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/problem"
)

func TestParseInbound(t *testing.T) {
	cases := []struct {
		name         string
		body         string
		wantEvent    string
		wantCode     string
		wantSourceID string // "" means nil
		wantErr      string
	}{
		{name: "routed", body: `{"event":"interview.scores","data":{"meetingCode":"m1","sourceId":"org_1"}}`, wantEvent: "interview.scores", wantCode: "m1", wantSourceID: "org_1"},
		{name: "null source", body: `{"event":"interview.scores","data":{"meetingCode":"m1","sourceId":null}}`, wantEvent: "interview.scores", wantCode: "m1"},
		{name: "absent source", body: `{"event":"interview.future","data":{"meetingCode":"m1"}}`, wantEvent: "interview.future", wantCode: "m1"},
		{name: "not json", body: `{"event":`, wantErr: "not valid JSON"},
		{name: "array", body: `[1,2]`, wantErr: "must be a JSON object"},
		{name: "no event", body: `{"data":{"meetingCode":"m1"}}`, wantErr: "event: is missing"},
		{name: "event not a string", body: `{"event":3,"data":{"meetingCode":"m1"}}`, wantErr: "event: must be a non-empty string"},
		{name: "no data", body: `{"event":"interview.scores"}`, wantErr: "data: is missing"},
		{name: "data not an object", body: `{"event":"interview.scores","data":[]}`, wantErr: "data: must be an object"},
		{name: "no meeting code", body: `{"event":"interview.scores","data":{}}`, wantErr: "data.meetingCode: is missing"},
		{name: "numeric meeting code", body: `{"event":"interview.scores","data":{"meetingCode":5}}`, wantErr: "must be a non-empty string"},
		{name: "numeric source", body: `{"event":"interview.scores","data":{"meetingCode":"m","sourceId":5}}`, wantErr: "sourceId: must be a string or null"},
		{name: "repeated data", body: `{"event":"e","data":{"meetingCode":"m","sourceId":"org_a"},"data":{"meetingCode":"m","sourceId":"org_b"}}`, wantErr: "data: appears more than once"},
		{name: "repeated sourceId", body: `{"event":"e","data":{"meetingCode":"m","sourceId":"org_a","sourceId":"org_b"}}`, wantErr: "data.sourceId: appears more than once"},
		{name: "repeated event", body: `{"event":"a","event":"b","data":{"meetingCode":"m"}}`, wantErr: "event: appears more than once"},
		{name: "repeated key elsewhere is fine", body: `{"event":"e","data":{"meetingCode":"m","x":1,"x":2}}`, wantEvent: "e", wantCode: "m"},
		{name: "invalid UTF-8 in meetingCode", body: "{\"event\":\"e\",\"data\":{\"meetingCode\":\"bad-\xff\"}}", wantErr: "not valid UTF-8"},
		{name: "escaped NUL in sourceId", body: `{"event":"e","data":{"meetingCode":"m","sourceId":"org\u0000x"}}`, wantErr: "NUL"},
		{name: "escaped NUL in event", body: `{"event":"e\u0000","data":{"meetingCode":"m"}}`, wantErr: "NUL"},
		{name: "huge meeting code", body: `{"event":"e","data":{"meetingCode":"` + strings.Repeat("x", 300) + `"}}`, wantErr: "longer than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, err := ParseInbound([]byte(tc.body))
			if tc.wantErr != "" {
				var p *problem.Error
				if !errors.As(err, &p) || p.Code != problem.CodeBadRequest || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a bad_request mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gotSource := ""
			if in.SourceID != nil {
				gotSource = *in.SourceID
			}
			if in.Event != tc.wantEvent || in.MeetingCode != tc.wantCode || gotSource != tc.wantSourceID {
				t.Fatalf("got %q %q %q, want %q %q %q", in.Event, in.MeetingCode, gotSource, tc.wantEvent, tc.wantCode, tc.wantSourceID)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	base := `{"event":"interview.evaluation","data":{"meetingCode":"m","summary":"a","timestamp":"2026-03-21T18:35:00.000Z"}}`
	restamped := `{"event":"interview.evaluation","data":{"meetingCode":"m","summary":"a","timestamp":"2026-03-22T09:00:00.000Z"}}`
	spaced := `{"event": "interview.evaluation", "data": {"meetingCode": "m", "summary": "a", "timestamp": "2026-03-21T18:35:00.000Z"}}`
	revised := `{"event":"interview.evaluation","data":{"meetingCode":"m","summary":"b","timestamp":"2026-03-21T18:35:00.000Z"}}`
	fp := func(s string) string {
		t.Helper()
		f, err := fingerprint([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if fp(base) != fp(restamped) {
		t.Error("a redelivery that only changes data.timestamp must keep the fingerprint")
	}
	if fp(base) != fp(spaced) {
		t.Error("whitespace must not change the fingerprint")
	}
	if fp(base) == fp(revised) {
		t.Error("new content must change the fingerprint")
	}
}
