package routing

import (
	"strings"
	"testing"
)

// urlTemplateCases are endpoint URLs checked against the samples of every
// event type; wantErr "" means accepted.
var urlTemplateCases = []struct {
	name, url string
	wantErr   string
}{
	{name: "data path", url: "https://h.example/i/{{data.meetingCode}}"},
	{name: "correlation is not checked", url: "https://h.example/c/{{correlation.candidate_id}}/notes?m={{data.meetingCode}}"},
	{name: "meta path", url: "https://h.example/t/{{meta.tenant_id}}/{{meta.event_type}}"},
	{name: "field of one event type only", url: "https://h.example/r/{{data.recommendation}}"},
	{name: "recording link", url: "https://h.example/v?u={{meta.recording_link}}"},
	{name: "bare meetingCode", url: "https://h.example/i/{{meetingCode}}",
		wantErr: "{{meetingCode}} is not a field of Boooply events; did you mean {{data.meetingCode}}?"},
	{name: "bare meta name", url: "https://h.example/i/{{event_type}}", wantErr: "did you mean {{meta.event_type}}?"},
	{name: "unknown data field", url: "https://h.example/i/{{data.candidateId}}", wantErr: "use {{data.<field>}}"},
	{name: "object", url: "https://h.example/i/{{data.scores}}", wantErr: "not one value"},
	{name: "bare correlation", url: "https://h.example/i/{{correlation}}", wantErr: "must name a correlation attribute"},
	{name: "syntax still checked first", url: "https://{{data.meetingCode}}/x", wantErr: "placeholder"},
	{name: "Bullhorn session restUrl", url: "{{bullhorn.rest_url}}entity/Note"},
	{name: "Bullhorn restUrl with a placeholder", url: "{{bullhorn.rest_url}}entity/Note?ref={{data.meetingCode}}"},
	{name: "Bullhorn restUrl checks what follows", url: "{{bullhorn.rest_url}}entity/{{data.candidateId}}", wantErr: "use {{data.<field>}}"},
	{name: "Bullhorn restUrl only first", url: "https://h.example/{{bullhorn.rest_url}}", wantErr: "not a field of Boooply events"},
	{name: "Bullhorn restUrl twice", url: "{{bullhorn.rest_url}}x/{{bullhorn.rest_url}}", wantErr: "may only start the URL"},
}

// TestURLTemplatesAgainstSamples: a placeholder is accepted when some Boooply sample
// fills it with one value (or it is a correlation attribute), and refused
// with a suggestion otherwise.
func TestURLTemplatesAgainstSamples(t *testing.T) {
	samples := func(eventType string) ([]byte, error) {
		return readSample(strings.TrimPrefix(eventType, "interview."))
	}
	types := []string{"interview.transcript", "interview.evaluation", "interview.scores", "interview.recording", "interview.interviewer_evaluation"}
	check, err := NewURLTemplates(samples, types)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range urlTemplateCases {
		t.Run(tc.name, func(t *testing.T) {
			err := check.CheckURLTemplate(tc.url)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("CheckURLTemplate(%q) = %v, want %q", tc.url, err, tc.wantErr)
			}
		})
	}
	if _, err := NewURLTemplates(samples, []string{"interview.nope"}); err == nil {
		t.Fatal("NewURLTemplates accepted an event type without a sample")
	}
}
