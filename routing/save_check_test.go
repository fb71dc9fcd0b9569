package routing

import (
	"context"
	"slices"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

// everyProblem has a source outside the envelope in rule 0 and an unknown
// operation in rule 1: a save must name both, not only the one Compile sees.
const everyProblem = `{"mode":"rules","rules":[{"target":"a","from":"candidateName"},{"target":"b","from":"data.x","ops":["uper"]}]}`

var everyProblemFields = []string{"rules[0].from", "rules[1].ops[0]"}

func detailFields(t *testing.T, err error) []string {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Code != problem.CodeInvalid {
		t.Fatalf("err = %v, want problem.Invalid", err)
	}
	var fields []string
	for _, d := range p.Details {
		fields = append(fields, d.Field)
	}
	slices.Sort(fields)
	return fields
}

func TestParseMappingListsEveryProblem(t *testing.T) {
	_, err := ParseMapping([]byte(everyProblem))
	if got := detailFields(t, err); !slices.Equal(got, everyProblemFields) {
		t.Fatalf("details name %q, want %q", got, everyProblemFields)
	}
}

// TestSaveListsEveryProblem: what the API's PUT …/mapping and the CLI's
// mapping set store goes through CreateVersion, on both databases.
func TestSaveListsEveryProblem(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tid, eid := mustCreateTenant(t, db.Gorm, "org_every_problem", "https://ats.example/hook")
		m := &Mapping{Mode: ModeRules, RuleSet: RuleSet{Rules: []Rule{
			{Target: "a", From: "candidateName"},
			{Target: "b", From: "data.x", Ops: []OpCall{{Op: "uper"}}},
		}}}
		store := NewStore(db.Gorm)
		_, err := store.CreateVersion(ctx, tid, eid, m, "a", "")
		if got := detailFields(t, err); !slices.Equal(got, everyProblemFields) {
			t.Fatalf("details name %q, want %q", got, everyProblemFields)
		}
		if vs, err := store.ListVersions(ctx, tid, eid); err != nil || len(vs) != 0 {
			t.Fatalf("versions = %d (err %v), want none stored", len(vs), err)
		}
	})
}
