package routing

import (
	"context"
	"slices"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// BenchmarkApply measures a compiled mapping on each sample: the
// flat-scorecard preset (rules) and an equivalent jq program.
func BenchmarkApply(b *testing.B) {
	p, _ := FindPreset("flat-scorecard")
	rules := mustCompile(b, string(p.Mapping))
	jq := mustCompile(b, `{"mode":"jq","program":"{event, occurred_at: .data.timestamp, candidate_name: .data.candidateName, recommendation: .data.recommendation, rating_1_to_5: .data.overallRating, score_overall: .data.scores.overall, score_max: 100, red_flags: ([.data.redFlags[]?.flag] | join(\"; \"))}"}`)
	for _, mode := range []struct {
		name string
		c    *Compiled
	}{{"rules", rules}, {"jq", jq}} {
		// The golden tests' samples plus the interviewer evaluation, which an
		// endpoint that names it receives too.
		for _, s := range append(slices.Clone(sampleNames), "interviewer_evaluation") {
			in := sampleInput(b, s)
			b.Run(mode.name+"/"+s, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := mode.c.Apply(context.Background(), in, goldenCorrelation); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRender measures Mapper.Render end to end on SQLite: the current
// version lookup (one indexed query), the cached compiled mapping, the
// correlation lookup the URL template needs, and the mapping itself.
func BenchmarkRender(b *testing.B) {
	db := testdb.Open(b, testdb.Targets(b)[0].URL)
	tid, eid := mustCreateTenant(b, db.Gorm, "org_7234567890", "https://ats.example/hook")
	benchRender(b, db, tid, eid)
}

func benchRender(b *testing.B, db *database.DB, tid, eid int64) {
	ctx := context.Background()
	store := NewStore(db.Gorm)
	p, _ := FindPreset("greenhouse-harvest-note")
	if _, err := store.CreateVersion(ctx, tid, eid, mustParse(b, string(p.Mapping)), "b", ""); err != nil {
		b.Fatal(err)
	}
	in := sampleInput(b, "evaluation")
	in.TenantID = tid
	if err := store.PutCorrelation(ctx, &Correlation{TenantID: tid, MeetingCode: in.MeetingCode, Attributes: goldenCorrelation}); err != nil {
		b.Fatal(err)
	}
	ep := mustEndpoint(b, db, tid, eid)
	ep.URL = p.URL
	m := NewMapper(db.Gorm)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Render(ctx, ep, in); err != nil {
			b.Fatal(err)
		}
	}
}
