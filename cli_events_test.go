package main

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestEventsListBySource: --source-id with --meeting-code lists one chain
// of revisions, without another source's events of the same meetingCode.
func TestEventsListBySource(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			db := testdb.Open(t, target.URL)
			ins := "INSERT INTO events (event_type, meeting_code, source_id, revision, fingerprint, body, received_at) VALUES ('interview.scores', 'm1', ?, 1, ?, ?, ?)"
			for _, src := range []string{"org_a", "org_b"} {
				if err := db.Gorm.Exec(ins, src, "fp-"+src, []byte(`{}`), time.Now().UTC()).Error; err != nil {
					t.Fatal(err)
				}
			}
			out := runCLI(t, "events", "list", "--meeting-code", "m1", "--source-id", "org_a", "--database-url", target.URL)
			if !strings.Contains(out, "org_a") || strings.Contains(out, "org_b") {
				t.Errorf("events list --meeting-code m1 --source-id org_a:\n%s", out)
			}
		})
	}
}
