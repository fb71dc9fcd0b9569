package tenants

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

func storeEvent(t testing.TB, db *gorm.DB, eventType, meetingCode string) {
	t.Helper()
	err := db.Exec("INSERT INTO events (event_type, meeting_code, source_id, revision, fingerprint, body, received_at) VALUES (?, ?, 'org_x', 1, 'f', ?, ?)",
		eventType, meetingCode, []byte("{}"), time.Now().UTC()).Error
	if err != nil {
		t.Fatal(err)
	}
}

// TestSubscribeToReceivedTypes: an endpoint may name an event type
// Switchboard doesn't know once one was received, keeps it after retention
// deleted those events, and a name never seen is still refused.
func TestSubscribeToReceivedTypes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		tn := mustCreateTenant(t, ed, "Acme", "org_a", StatusActive)
		subs := []string{"interview.scores", "interview.feedback"}
		_, err := ed.AddEndpoint(ctx, tn.ID, EndpointInput{URL: ptr("https://ats.example/"), Subscriptions: &subs})
		wantUnknown(t, err, "interview.feedback")

		storeEvent(t, db.Gorm, "interview.feedback", "m1")
		storeEvent(t, db.Gorm, "interview.scores", "m1")
		got, err := ed.ReceivedUnknownTypes(ctx, testEventTypes)
		if err != nil || !reflect.DeepEqual(got, []string{"interview.feedback"}) {
			t.Fatalf("received unknown types = %v (err %v), want [interview.feedback]", got, err)
		}
		v, err := ed.AddEndpoint(ctx, tn.ID, EndpointInput{URL: ptr("https://ats.example/"), Subscriptions: &subs})
		if err != nil {
			t.Fatalf("subscribing to a received type: %v", err)
		}

		if err := db.Gorm.Exec("DELETE FROM events").Error; err != nil { // retention
			t.Fatal(err)
		}
		if _, err := ed.UpdateEndpoint(ctx, tn.ID, v.ID, EndpointInput{Description: ptr("kept"), Subscriptions: &subs}); err != nil {
			t.Fatalf("saving an endpoint whose received type's events are gone: %v", err)
		}
		typo := append(subs, "interview.feedbak")
		_, err = ed.UpdateEndpoint(ctx, tn.ID, v.ID, EndpointInput{Subscriptions: &typo})
		wantUnknown(t, err, "interview.feedbak")
		_, err = ed.AddEndpoint(ctx, tn.ID, EndpointInput{URL: ptr("https://ats.example/"), Subscriptions: &subs})
		wantUnknown(t, err, "interview.feedback") // another endpoint: gone from events, so unknown again
	})
}

func wantUnknown(t testing.TB, err error, name string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Code != problem.CodeInvalid || len(p.Details) == 0 || p.Details[0].Field != "subscriptions" ||
		!strings.Contains(p.Details[0].Reason, `"`+name+`": not a known type and never received`) {
		t.Fatalf("err = %v, want subscriptions refused: %q not a known type and never received", err, name)
	}
}

// TestReceivedTypeQueriesUseTheIndex: both lookups state the partial
// index's condition word for word, so neither scans the events table.
func TestReceivedTypeQueriesUseTheIndex(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		queries := map[string]func(tx *gorm.DB) *gorm.DB{
			"list": func(tx *gorm.DB) *gorm.DB {
				var names []string
				return tx.Table("events").Where(unknownTypeClause).Distinct("event_type").Order("event_type").Limit(maxReceivedTypes).Pluck("event_type", &names)
			},
			"lookup": func(tx *gorm.DB) *gorm.DB {
				var names []string
				return tx.Table("events").Where(unknownTypeClause).Where("event_type = ?", "interview.feedback").Limit(1).Pluck("event_type", &names)
			},
		}
		for name, q := range queries {
			t.Run(name, func(t *testing.T) {
				plan := explain(t, db.Gorm, q)
				if !strings.Contains(plan, "events_unknown_type_idx") {
					t.Fatalf("plan does not use events_unknown_type_idx:\n%s", plan)
				}
			})
		}
	})
}

// explain returns the query plan of the statement q builds. PostgreSQL
// plans a scan of a tiny table whatever the indexes; with sequential scans
// off it still uses an index only if one applies.
func explain(t *testing.T, db *gorm.DB, q func(tx *gorm.DB) *gorm.DB) string {
	t.Helper()
	stmt := q(db.Session(&gorm.Session{DryRun: true})).Statement
	prefix := "EXPLAIN QUERY PLAN "
	var lines []string
	err := db.Transaction(func(tx *gorm.DB) error {
		if db.Dialector.Name() == "postgres" {
			prefix = "EXPLAIN "
			if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
				return err
			}
		}
		rows, err := tx.Raw(prefix+stmt.SQL.String(), stmt.Vars...).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			for i := range vals {
				vals[i] = new(any)
			}
			if err := rows.Scan(vals...); err != nil {
				return err
			}
			for _, v := range vals {
				lines = append(lines, strings.TrimSpace(toString(*(v.(*any)))))
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

func toString(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	}
	return ""
}

func TestSubscribes(t *testing.T) {
	byDefault := TypeRule{ForwardByDefault: true}
	namedOnly := TypeRule{NamedOnly: true}
	cases := []struct {
		name string
		subs []string
		typ  string
		rule TypeRule
		want bool
	}{
		{"no choice: a default type", nil, "interview.scores", byDefault, true},
		{"no choice: a named-only type", nil, "interview.interviewer_evaluation", namedOnly, false},
		{"no choice: an unknown type", nil, "interview.feedback", TypeRule{}, false},
		{"all: a default type", []string{"*"}, "interview.scores", byDefault, true},
		{"all: an unknown type", []string{"*"}, "interview.feedback", TypeRule{}, true},
		{"all: not a named-only type", []string{"*"}, "interview.interviewer_evaluation", namedOnly, false},
		{"all and the named-only type", []string{"*", "interview.interviewer_evaluation"}, "interview.interviewer_evaluation", namedOnly, true},
		{"the named-only type alone", []string{"interview.interviewer_evaluation"}, "interview.interviewer_evaluation", namedOnly, true},
		{"another name", []string{"interview.scores"}, "interview.evaluation", byDefault, false},
		{"an unknown type by name", []string{"interview.feedback"}, "interview.feedback", TypeRule{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &Endpoint{Subscriptions: tc.subs}
			if got := e.Subscribes(tc.typ, tc.rule); got != tc.want {
				t.Fatalf("Subscribes(%s) with %v = %v, want %v", tc.typ, tc.subs, got, tc.want)
			}
		})
	}
}
