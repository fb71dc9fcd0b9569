package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestDeliveriesCLIFilters: `deliveries list --status` takes every state a
// delivery can be in (held too), and a bulk retry of a tenant or endpoint
// that doesn't exist is refused without an audit entry.
func TestDeliveriesCLIFilters(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			cases := []struct {
				name    string
				args    []string
				wantOut string
				wantErr string
			}{
				{name: "held", args: []string{"deliveries", "list", "--status", "held"}, wantOut: "STATUS"},
				{name: "failed", args: []string{"deliveries", "list", "--status", "failed"}, wantOut: "STATUS"},
				{name: "unknown status", args: []string{"deliveries", "list", "--status", "lost"}, wantErr: "must be pending, held, delivered or failed"},
				{name: "bulk retry of an unknown tenant", args: []string{"deliveries", "bulk-retry", "--tenant", "99999"}, wantErr: "tenant not found"},
				{name: "bulk retry of an unknown endpoint", args: []string{"deliveries", "bulk-retry", "--endpoint", "99999"}, wantErr: "endpoint not found"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					var out bytes.Buffer
					err := run(context.Background(), append(tc.args, "--database-url", target.URL), &out)
					if tc.wantErr != "" {
						if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
							t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
						}
						return
					}
					if err != nil || !strings.Contains(out.String(), tc.wantOut) {
						t.Fatalf("got %q (err %v), want %q", out.String(), err, tc.wantOut)
					}
				})
			}
			db := testdb.Open(t, target.URL)
			es, _, err := auth.NewStore(db.Gorm).ListAudit(context.Background(), auth.AuditFilter{Action: "delivery.bulk_retry", Limit: 10})
			if err != nil || len(es) != 0 {
				t.Fatalf("%d delivery.bulk_retry entries (err %v), want none for refused bulk retries", len(es), err)
			}
		})
	}
}
