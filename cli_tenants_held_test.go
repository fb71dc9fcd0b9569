package main

import (
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestHeldCommandsRetrySchedule: tenants resume and deliver-held take serve's
// --retry-schedule (default SWITCHBOARD_RETRY_SCHEDULE) and refuse a bad one
// before changing anything.
func TestHeldCommandsRetrySchedule(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			cli, _ := cliOn(t, target.URL)
			id, err := cli("tenants", "create", "--name", "Held", "--source-id", "org_sched", "--status", "paused")
			if err != nil {
				t.Fatal(err)
			}
			id = strings.TrimSpace(id)
			cases := []struct {
				name, env string
				args      []string
				wantErr   string
				wantOut   string
			}{
				{name: "resume: bad flag", args: []string{"tenants", "resume", "--tenant", id, "--retry-schedule", "soon"}, wantErr: "--retry-schedule"},
				{name: "resume: bad environment", env: "5s,-1s", args: []string{"tenants", "resume", "--tenant", id}, wantErr: "--retry-schedule"},
				{name: "deliver-held: bad flag", args: []string{"tenants", "deliver-held", "--tenant", id, "--retry-schedule", "0s"}, wantErr: "--retry-schedule"},
				{name: "deliver-held: good flag beats a bad environment", env: "bad", args: []string{"tenants", "deliver-held", "--tenant", id, "--retry-schedule", "1s,2s"},
					wantOut: "0 held events attached"},
				{name: "resume: schedule from the environment", env: "20ms,40ms", args: []string{"tenants", "resume", "--tenant", id}, wantOut: "is active"},
			}
			for _, tc := range cases {
				t.Setenv("SWITCHBOARD_RETRY_SCHEDULE", tc.env)
				out, err := cli(tc.args...)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("%s: err = %v, want it to mention %q", tc.name, err, tc.wantErr)
					}
					if show, _ := cli("tenants", "show", "--tenant", id); !strings.Contains(show, "paused") {
						t.Fatalf("%s: a refused command changed the tenant:\n%s", tc.name, show)
					}
					continue
				}
				if err != nil || !strings.Contains(out, tc.wantOut) {
					t.Fatalf("%s: got %q (err %v), want %q", tc.name, out, err, tc.wantOut)
				}
			}
		})
	}
}
