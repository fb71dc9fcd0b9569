package routing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite routing/testdata/*.golden.json")

// goldenCorrelation is the record the golden files render with.
var goldenCorrelation = map[string]string{
	"candidate_id": "4711", "opportunity_id": "lever-opp-2002", "order_id": "kombo-order-3003",
	"report_url": "https://vendor.example/reports/Boooply-AI-1234567890",
}

// goldenOf renders preset p on a sample as the golden file's text.
func goldenOf(t *testing.T, p Preset, sample string) []byte {
	t.Helper()
	m, err := ParseMapping(p.Mapping)
	if err != nil {
		t.Fatalf("preset %s: %v", p.Name, err)
	}
	c, _ := Compile(m)
	in := sampleInput(t, sample)
	url := p.URL
	if url == "" {
		url = "https://receiver.example/boooply"
	}
	r, err := renderWith(context.Background(), c, url, in, goldenCorrelation, Rendered{})
	var out bytes.Buffer
	if err != nil {
		b, _ := json.Marshal(map[string]string{"error": err.Error()})
		out.Write(b)
	} else {
		out.WriteString(`{"url":` + tmplJSON(r.URL) + `,"body":`)
		out.Write(r.Body)
		out.WriteString("}")
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out.Bytes(), "", "  "); err != nil {
		t.Fatalf("preset %s on %s: output is not JSON: %v\n%s", p.Name, sample, err, out.Bytes())
	}
	pretty.WriteByte('\n')
	return pretty.Bytes()
}

// TestPresetGoldens: every preset × every sample matches its golden file
// (go test ./routing -update rewrites them; review the diff).
func TestPresetGoldens(t *testing.T) {
	for _, p := range Presets() {
		for _, s := range sampleNames {
			t.Run(p.Name+"/"+s, func(t *testing.T) {
				got := goldenOf(t, p, s)
				file := filepath.Join("testdata", p.Name+"."+s+".golden.json")
				if *update {
					if err := os.WriteFile(file, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test ./routing -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s differs from the golden file:\n%s", file, got)
				}
			})
		}
	}
}

func TestPresetsAreEvaluationOnly(t *testing.T) {
	names := map[string]bool{}
	for _, p := range Presets() {
		names[p.Name] = true
		if p.Name == "passthrough" {
			continue
		}
		if len(p.Subscriptions) != 1 || p.Subscriptions[0] != "interview.evaluation" {
			t.Errorf("%s subscribes to %v, want only interview.evaluation", p.Name, p.Subscriptions)
		}
		if p.Description == "" || p.Title == "" {
			t.Errorf("%s has no title or description", p.Name)
		}
		if err := CheckURLTemplate(p.URL); err != nil {
			t.Errorf("%s URL: %v", p.Name, err)
		}
	}
	for _, want := range []string{"passthrough", "flat-scorecard", "greenhouse-harvest-note", "lever-opportunity-note",
		"ashby-completed-assessment", "kombo-assessment-result", "bullhorn-candidate-note"} {
		if !names[want] {
			t.Errorf("preset %s is missing", want)
		}
	}
}

func TestPresetsWithoutCorrelationFailClearly(t *testing.T) {
	for _, name := range []string{"greenhouse-harvest-note", "lever-opportunity-note", "ashby-completed-assessment", "kombo-assessment-result",
		"bullhorn-candidate-note"} {
		p, _ := FindPreset(name)
		m, _ := ParseMapping(p.Mapping)
		c, _ := Compile(m)
		_, err := renderWith(context.Background(), c, p.URL, sampleInput(t, "evaluation"), nil, Rendered{})
		if !IsCorrelationMissing(err) {
			t.Errorf("%s without a correlation record: err = %v, want a correlation-missing error", name, err)
		}
	}
	p, _ := FindPreset("passthrough")
	m, _ := ParseMapping(p.Mapping)
	c, _ := Compile(m)
	in := sampleInput(t, "evaluation")
	r, err := renderWith(context.Background(), c, "https://x.example/", in, nil, Rendered{})
	if err != nil || !bytes.Equal(r.Body, in.Body) {
		t.Fatalf("passthrough changed the body (err %v)", err)
	}
}

// TestResultPresetsNeedScores: an assessment result completes the ATS's
// order or assessment once, so the Kombo and Ashby presets refuse an event
// without scores.overall (an endpoint left on the default subscriptions
// gets the transcript first) instead of completing an empty result; the
// Bullhorn preset likewise writes no empty note.
func TestResultPresetsNeedScores(t *testing.T) {
	for _, name := range []string{"kombo-assessment-result", "ashby-completed-assessment", "bullhorn-candidate-note"} {
		p, _ := FindPreset(name)
		c := mustCompile(t, string(p.Mapping))
		for _, s := range []string{"transcript", "recording", "interviewer_evaluation"} {
			t.Run(name+"/"+s, func(t *testing.T) {
				in := sampleInput(t, s)
				r, err := renderWith(context.Background(), c, p.URL, in, goldenCorrelation, Rendered{})
				var re *RuleError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), "required value data.scores.overall is missing") {
					t.Fatalf("got %s (err %v), want the required score to be missing", r.Body, err)
				}
			})
		}
		for _, s := range []string{"evaluation", "scores"} {
			if _, err := renderWith(context.Background(), c, p.URL, sampleInput(t, s), goldenCorrelation, Rendered{}); err != nil {
				t.Errorf("%s on %s: %v", name, s, err)
			}
		}
	}
}

// TestGreenhouseV1PresetMarkedRetired: Harvest v1/v2 were switched off on
// 2026-08-31; the preset says so before anyone loads it, and points at
// oauth2 for v3.
func TestGreenhouseV1PresetMarkedRetired(t *testing.T) {
	p, ok := FindPreset("greenhouse-harvest-note")
	if !ok || !strings.Contains(p.Title, "retired") || !strings.HasPrefix(p.Description, "RETIRED") || !strings.Contains(p.Description, "oauth2") {
		t.Fatalf("preset %q: %q, want it marked retired and pointing at auth type oauth2", p.Title, p.Description)
	}
}

// TestBullhornPreset: the Bullhorn note is a PUT under the session's
// restUrl; personReference.id is the correlation's candidate id as a
// number (a non-numeric one fails as a mapping error, never a wrong
// candidate); comments show the rating out of 5 and the score out of 100.
func TestBullhornPreset(t *testing.T) {
	p, ok := FindPreset("bullhorn-candidate-note")
	if !ok || p.Method != "PUT" || p.URL != "{{bullhorn.rest_url}}entity/Note" || !strings.Contains(p.Auth, "bullhorn") {
		t.Fatalf("preset %+v, want PUT {{bullhorn.rest_url}}entity/Note with auth bullhorn", p)
	}
	c := mustCompile(t, string(p.Mapping))
	r, err := renderWith(context.Background(), c, p.URL, sampleInput(t, "evaluation"), map[string]string{"candidate_id": "4711"}, Rendered{})
	if err != nil {
		t.Fatal(err)
	}
	if r.URL != p.URL {
		t.Errorf("URL %q, want %q kept for the worker to fill", r.URL, p.URL)
	}
	for _, want := range []string{`"personReference":{"id":4711}`, `Rating: 3/5; overall score: 72/100`, `"externalID":"Boooply-AI-1234567890"`} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("body %s lacks %s", r.Body, want)
		}
	}
	if strings.Contains(string(r.Body), "3/100") {
		t.Errorf("body %s shows the 1-5 rating out of 100", r.Body)
	}
	_, err = renderWith(context.Background(), c, p.URL, sampleInput(t, "evaluation"), map[string]string{"candidate_id": "gh-1001"}, Rendered{})
	var re *RuleError
	if !errors.As(err, &re) || re.Target != "personReference.id" {
		t.Fatalf("non-numeric candidate id: err %v, want a rule error on personReference.id", err)
	}
}
