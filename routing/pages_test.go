package routing

import (
	"context"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/views"
)

// TestArgsNotation: arguments are written as the operations' usage shows
// them, separated by spaces, quoted when they hold spaces, and read back
// unchanged.
func TestArgsNotation(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
		wantErr    string
	}{
		{name: "scale as its usage", text: "1 5 0 100", want: []string{"1", "5", "0", "100"}},
		{name: "map pairs", text: "PASS=hire  *=reject", want: []string{"PASS=hire", "*=reject"}},
		{name: "commas stay in one argument", text: "1,5,0,100", want: []string{"1,5,0,100"}},
		{name: "quoted separator", text: `"; "`, want: []string{"; "}},
		{name: "quoted layout", text: `"02 Jan 2006 15:04" rfc3339`, want: []string{"02 Jan 2006 15:04", "rfc3339"}},
		{name: "escapes in quotes", text: `"say \"hi\"" "a\\b" ""`, want: []string{`say "hi"`, `a\b`, ""}},
		{name: "none", text: "  ", want: nil},
		{name: "unclosed quote", text: `40 "…`, wantErr: "is not closed"},
		{name: "text after a quote", text: `"a"b`, wantErr: "put a space after the closing quote"},
		{name: "bad escape", text: `"C:\dir"`, wantErr: `write \" for a quote`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := splitArgs(tc.text)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q (err %v), want %q", got, err, tc.want)
			}
			back, err := splitArgs(formatArgs(got))
			if err != nil || !reflect.DeepEqual(back, got) {
				t.Fatalf("formatArgs(%q) = %q reads back as %q (err %v)", got, formatArgs(got), back, err)
			}
		})
	}
}

func TestOpsNotation(t *testing.T) {
	cases := []struct {
		name, text string
		want       []OpCall
		wantErr    string
		wantOp     int
	}{
		{name: "ops with arguments", text: `trim | truncate 40 " …" | default n/a`,
			want: []OpCall{{Op: "trim"}, {Op: "truncate", Args: []string{"40", " …"}}, {Op: "default", Args: []string{"n/a"}}}},
		{name: "no spaces around |", text: `upper|lower`, want: []OpCall{{Op: "upper"}, {Op: "lower"}}},
		{name: "quoted |", text: `split "|" | first`, want: []OpCall{{Op: "split", Args: []string{"|"}}, {Op: "first"}}},
		{name: "empty", text: "", want: nil},
		{name: "call syntax refused with the usage", text: `trim | truncate(6, …)`, wantOp: 1,
			wantErr: `"truncate(6, …)": write the operation's name, then its arguments separated by spaces (usage: truncate N [SUFFIX])`},
		{name: "unclosed quote in the second op", text: `upper | join "; `, wantOp: 1, wantErr: "is not closed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseOps(tc.text)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || opIndex(err) != tc.wantOp {
					t.Fatalf("err = %v (op %d), want op %d and %q", err, opIndex(err), tc.wantOp, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v (err %v), want %+v", got, err, tc.want)
			}
			if back, err := parseOps(formatOps(got)); err != nil || !reflect.DeepEqual(back, got) {
				t.Fatalf("formatOps = %q reads back as %+v (err %v)", formatOps(got), back, err)
			}
		})
	}
}

// TestDraftReadsArgumentsAsUsageShows: what the help shows is what the
// table reads ("scale A B C D" → 1 5 0 100), and a wrong count says what
// was expected in that notation.
func TestDraftReadsArgumentsAsUsageShows(t *testing.T) {
	d := draft{Mode: "rules", Rules: []views.Rule{
		{Target: "rating", Source: "data.overallRating", Op: "scale", Args: "1 5 0 100", More: "round 1"},
		{Target: "decision", Source: "data.recommendation", Op: "map", Args: "PASS=hire *=reject"},
		{Target: "strengths", Source: "data.redFlags[*].flag", Op: "join", Args: `"; "`, More: "omit_if_empty"},
	}}
	m, err := d.mapping()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]OpCall{
		{{Op: "scale", Args: []string{"1", "5", "0", "100"}}, {Op: "round", Args: []string{"1"}}},
		{{Op: "map", Args: []string{"PASS=hire", "*=reject"}}},
		{{Op: "join", Args: []string{"; "}}, {Op: "omit_if_empty"}},
	}
	for i, r := range m.Rules {
		if !reflect.DeepEqual(r.Ops, want[i]) {
			t.Errorf("rule %d ops = %+v, want %+v", i+1, r.Ops, want[i])
		}
	}
	if _, err := ParseMapping(m.JSON()); err != nil {
		t.Fatalf("the mapping does not validate: %v", err)
	}

	d.Rules[0].Args = "1,5,0,100"
	spec, err := d.spec()
	if err == nil {
		_, err = ParseMapping(spec)
	}
	errs, ok := d.explain(err)
	want0 := views.MappingError{Field: "rule 1, operation 1", Reason: "scale takes 4 arguments, got 1 (1,5,0,100); usage: scale A B C D", Rule: 1, Part: "args"}
	if !ok || len(errs) != 1 || errs[0] != want0 {
		t.Fatalf("comma-separated scale: %+v (ok %v), want %+v", errs, ok, want0)
	}
}

// TestEditorErrorsNameRowsAsShown: errors name the rows by the numbers the
// table shows (blank rows count), the operation by its place, and mark the
// control at fault.
func TestEditorErrorsNameRowsAsShown(t *testing.T) {
	d := draft{Mode: "rules", Rules: []views.Rule{
		{Target: "ok", Source: "data.title"},
		{}, // blank: not in the mapping, but row 2 on screen
		{Target: "bad[", Source: "data.title"},
		{Target: "score", Source: "data.scores.overall", Op: "scale", Args: "1 5"},
		{Target: "who", Source: "data.candidateName", More: "trim | upper x"},
		{Target: "note", Source: "data.summary", Op: "truncate", Args: `40 "…`},
		{Target: "plain", Source: "data.title", Args: "stray"},
	}}
	var errs []views.MappingError
	if _, err := d.spec(); err != nil {
		errs, _ = d.explain(err)
	}
	m, _ := d.mapping()
	m.Rules = m.Rules[:len(m.Rules)-2] // without the rows the table itself refused
	_, err := ParseMapping(m.JSON())
	more, ok := d.explain(err)
	if !ok {
		t.Fatalf("explain(%v) not shown", err)
	}
	errs = append(errs, more...)
	want := map[string]views.MappingError{
		"rule 3, target field": {Rule: 3, Part: "target"},
		"rule 4, operation 1":  {Rule: 4, Part: "args"},
		"rule 5, operation 2":  {Rule: 5, Part: "more"},
		"rule 6, operation 1":  {Rule: 6, Part: "args"},
		"rule 7, arguments":    {Rule: 7, Part: "args"},
	}
	for _, e := range errs {
		w, found := want[e.Field]
		if !found {
			t.Errorf("unexpected error %+v", e)
			continue
		}
		if e.Rule != w.Rule || e.Part != w.Part {
			t.Errorf("%s: rule %d part %q, want rule %d part %q", e.Field, e.Rule, e.Part, w.Rule, w.Part)
		}
		delete(want, e.Field)
	}
	for f := range want {
		t.Errorf("no error for %s (got %+v)", f, errs)
	}

	rows := markRows(d.Rules, errs)
	if rows[3].Error == "" || rows[3].ErrorPart != "args" || !strings.Contains(rows[3].Error, "usage: scale A B C D") {
		t.Errorf("row 4 = %+v, want it marked at its arguments", rows[3])
	}
	if rows[0].Error != "" || rows[1].Error != "" || d.Rules[3].Error != "" {
		t.Error("markRows marked a good row or changed the draft")
	}

	json := draft{Mode: "json"}
	if f, row, _ := json.tableField("rules[0].ops[0]"); f != "rules[0].ops[0]" || row != -1 {
		t.Errorf("JSON mode names %q row %d, want the JSON field and no row", f, row)
	}
}

// TestPresetsShowInTheTable: every preset the rule table can hold opens in
// it and saves back unchanged (flat-scorecard's "; " separator included);
// the others open as JSON and say why.
func TestPresetsShowInTheTable(t *testing.T) {
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			m, err := ParseMapping(p.Mapping)
			if err != nil {
				t.Fatal(err)
			}
			d := draftOf(m)
			if p.Name == "flat-scorecard" && d.Mode != "rules" {
				t.Fatalf("flat-scorecard opens in %s mode (%s), want the rule table", d.Mode, d.Note)
			}
			switch d.Mode {
			case "json":
				if d.Note == "" {
					t.Error("opens as JSON without saying why")
				}
			case "rules":
				back, err := d.mapping()
				if err != nil {
					t.Fatal(err)
				}
				if got, want := string(back.JSON()), string(m.JSON()); got != want {
					t.Errorf("the table changes the mapping:\n got %s\nwant %s", got, want)
				}
			}
		})
	}
}

// TestDiffRemovedBeforeAdded: a changed line shows as the removed line,
// then the line replacing it.
func TestDiffRemovedBeforeAdded(t *testing.T) {
	got := Diff(`{"mode":"rules","keep_unmapped":true}`, `{"mode":"jq","keep_unmapped":true}`)
	want := "  {\n-   \"mode\": \"rules\",\n+   \"mode\": \"jq\",\n    \"keep_unmapped\": true\n  }\n"
	if got != want {
		t.Fatalf("Diff =\n%s\nwant\n%s", got, want)
	}
}

// TestSampleOptionsNameZone: the preview picker's recent events show their
// time with its zone (UTC), as every other time in the admin UI does.
func TestSampleOptionsNameZone(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	h := (&Handler{}).WithRecentEvents(func(context.Context, int64, int) ([]RecentEvent, error) {
		return []RecentEvent{{ID: 7, EventType: "interview.scores", MeetingCode: "m-7", ReceivedAt: at}}, nil
	})
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error {
		opts := h.sampleOptions(c, 1, "")
		return c.SendString(opts[len(opts)-1].Label)
	})
	resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if want := "Event #7: interview.scores m-7 (Nov 26 08:30 UTC)"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
