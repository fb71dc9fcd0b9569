package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestDeliveriesShowMatchesAPI: `deliveries show` prints the JSON that
// GET /api/v1/deliveries/:id answers (snake_case keys, attempts as a list,
// the body as sent), not the Go struct, whose "Attempts" count sat beside
// the "attempts" list and whose internals (WebhookSeq, …) leaked out.
func TestDeliveriesShowMatchesAPI(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			_, must := cliOn(t, target.URL)
			tenant := strings.TrimSpace(must("tenants", "create", "--name", "Acme", "--source-id", "org_show", "--endpoint", "https://93.184.215.14/hook"))
			endpoint := regexp.MustCompile(`(?m)^(\d+)\s+https://93\.184\.215\.14/hook`).FindStringSubmatch(must("endpoints", "list", "--tenant", tenant))
			if endpoint == nil {
				t.Fatal("endpoints list shows no endpoint")
			}
			cli := func(args ...string) string {
				t.Helper()
				return runCLI(t, append(args, "--database-url", target.URL)...)
			}
			id := strings.TrimSpace(cli("deliveries", "test", "--tenant", tenant, "--endpoint", endpoint[1], "--event-type", "interview.scores"))
			var got map[string]any
			if err := json.Unmarshal([]byte(cli("deliveries", "show", id)), &got); err != nil {
				t.Fatalf("deliveries show printed no JSON object: %v", err)
			}
			for _, key := range []string{"id", "event_id", "tenant_id", "endpoint_id", "endpoint_url", "event_type", "meeting_code", "status", "attempts", "body", "created_at"} {
				if _, ok := got[key]; !ok {
					t.Errorf("key %q missing; got %v", key, keysOf(got))
				}
			}
			for key := range got {
				if key != strings.ToLower(key) {
					t.Errorf("key %q is not the API's snake_case", key)
				}
			}
			if _, ok := got["attempts"].([]any); !ok {
				t.Errorf("attempts = %#v, want the list of attempts", got["attempts"])
			}
			if body, ok := got["body"].(map[string]any); !ok || body["event"] != "interview.scores" {
				t.Errorf("body = %#v, want the scores sample as JSON", got["body"])
			}
		})
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
