package webhooks

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestEventTypes walks the event-type list: every sample exists, verifies
// when signed, parses, decodes into its Go type, and routes by its default.
func TestEventTypes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tn := &tenants.Tenant{Name: "T", SourceID: "org_7234567890", Status: tenants.StatusActive}
		byDefault := &tenants.Endpoint{URL: "https://default.example/", Enabled: true}
		everything := &tenants.Endpoint{URL: "https://all.example/", Enabled: true, Subscriptions: []string{"*"}}
		naming := &tenants.Endpoint{URL: "https://named.example/", Enabled: true}
		for _, et := range EventTypes() {
			naming.Subscriptions = append(naming.Subscriptions, et.Name)
		}
		if err := tenants.NewStore(db.Gorm).CreateTenant(ctx, tn, []*tenants.Endpoint{byDefault, everything, naming}); err != nil {
			t.Fatal(err)
		}
		for _, et := range EventTypes() {
			t.Run(et.Name, func(t *testing.T) {
				body, err := Sample(et.Name)
				if err != nil {
					t.Fatal(err)
				}
				if err := VerifyWith([][]byte{[]byte("s")}, body, sign("s", body)); err != nil {
					t.Fatalf("signed sample does not verify: %v", err)
				}
				in, err := ParseInbound(body)
				if err != nil || in.Event != et.Name {
					t.Fatalf("parse: %+v, %v", in, err)
				}
				decoded, err := et.Decode(body)
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if code := meetingCodeOf(t, decoded); code != in.MeetingCode {
					t.Fatalf("decoded meetingCode %q, want %q", code, in.MeetingCode)
				}
				plan, err := routing.NewPlanner().Plan(ctx, db.Gorm, routingEvent(et.Name, in.SourceID))
				if err != nil {
					t.Fatal(err)
				}
				want := 1 // the endpoint that names it
				if et.ForwardByDefault {
					want++
				}
				if !et.NamedOnly {
					want++ // "*"
				}
				if len(plan.Endpoints) != want {
					t.Fatalf("routes to %d endpoints, want %d (default %v, named only %v)", len(plan.Endpoints), want, et.ForwardByDefault, et.NamedOnly)
				}
			})
		}
	})
}

// meetingCodeOf reads Data.MeetingCode of any decoded envelope.
func meetingCodeOf(t *testing.T, decoded any) string {
	t.Helper()
	b, err := json.Marshal(decoded)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Data struct {
			MeetingCode string `json:"meetingCode"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	return env.Data.MeetingCode
}

// TestDecodeFields checks the documented fields land in their Go fields and
// that unknown fields are no error.
func TestDecodeFields(t *testing.T) {
	ev, err := Decode("interview.evaluation", mustSample(t, "interview.evaluation"))
	if err != nil {
		t.Fatal(err)
	}
	e := ev.(*Envelope[Evaluation]).Data
	if e.NextSteps == nil || len(e.NextSteps.FocusAreasForNextRound) != 2 || e.SentimentAnalysis == nil || e.SentimentAnalysis.Enthusiasm != "HIGH" ||
		e.Scores.Overall == nil || *e.Scores.Overall != 72 || e.SourceID == nil || *e.SourceID != "org_7234567890" || e.Recommendation != "PASS" {
		t.Fatalf("evaluation decoded as %+v", e)
	}
	withExtras := []byte(`{"event":"interview.evaluation","data":{"meetingCode":"m","meetingStatistics":{"speakingTimePct":{"candidate":61}},` +
		`"customQuestionResponses":[{"q":"Why us?","a":"…"}],"brandNewField":{"x":1},"sourceId":null}}`)
	ev, err = Decode("interview.evaluation", withExtras)
	if err != nil {
		t.Fatalf("unknown fields must not fail decoding: %v", err)
	}
	e = ev.(*Envelope[Evaluation]).Data
	if string(e.MeetingStatistics) != `{"speakingTimePct":{"candidate":61}}` || string(e.CustomQuestionResponses) != `[{"q":"Why us?","a":"…"}]` || e.SourceID != nil {
		t.Fatalf("raw fields: %s / %s / %v", e.MeetingStatistics, e.CustomQuestionResponses, e.SourceID)
	}
	iv, err := Decode("interview.interviewer_evaluation", mustSample(t, "interview.interviewer_evaluation"))
	if err != nil {
		t.Fatal(err)
	}
	ie := iv.(*Envelope[InterviewerEvaluation]).Data
	if len(ie.Participants) != 2 || ie.InterviewerEvaluation.ConfidenceLevel != "HIGH" || ie.AnalysisMeta == nil || *ie.AnalysisMeta.DurationMs != 41250 {
		t.Fatalf("interviewer evaluation decoded as %+v", ie)
	}
	tr, err := Decode("interview.transcript", mustSample(t, "interview.transcript"))
	if err != nil {
		t.Fatal(err)
	}
	if x := tr.(*Envelope[Transcript]).Data; len(x.Transcript) != 2 || x.Transcript[0].EndMs != nil || x.Transcript[1].EndMs == nil {
		t.Fatalf("transcript decoded as %+v", x)
	}
	unknown, err := Decode("interview.future_thing", []byte(`{"event":"interview.future_thing","data":{"meetingCode":"m","x":[1]}}`))
	if err != nil || string(unknown.(*Envelope[json.RawMessage]).Data) != `{"meetingCode":"m","x":[1]}` {
		t.Fatalf("unknown type: %v, %v", unknown, err)
	}
}

func mustSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := Sample(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUnknownEventTypeRoutes: an event type Switchboard doesn't know is
// stored and reaches endpoints that subscribe to it or to "*", and no
// endpoint that kept the defaults.
func TestUnknownEventTypeRoutes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tn := &tenants.Tenant{Name: "T", SourceID: "org_1", Status: tenants.StatusActive}
		eps := []*tenants.Endpoint{
			{URL: "https://default.example/", Enabled: true},
			{URL: "https://all.example/", Enabled: true, Subscriptions: []string{"*"}},
			{URL: "https://named.example/", Enabled: true, Subscriptions: []string{"interview.future_thing"}},
		}
		if err := tenants.NewStore(db.Gorm).CreateTenant(ctx, tn, eps); err != nil {
			t.Fatal(err)
		}
		r, err := newTestService(t, db).Ingest(ctx, mustParse(t, `{"event":"interview.future_thing","data":{"meetingCode":"m","sourceId":"org_1"}}`))
		if err != nil || r.Status != Accepted || r.Deliveries != 2 {
			t.Fatalf("unknown type: %+v, %v; want accepted with 2 deliveries", r, err)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE endpoint_id = ?", eps[0].ID); n != 0 {
			t.Errorf("default endpoint got %d deliveries of an unknown type, want 0", n)
		}
	})
}
