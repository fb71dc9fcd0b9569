package webhooks

import (
	"context"
	"net/url"
	"testing"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

// FuzzDeliveryFilter feeds arbitrary query strings through the delivery
// search's parser and, when they parse, through the real query on SQLite:
// a client's filter is either refused as a problem (4xx) or searched, never a
// panic or a database error (no value reaches SQL except as a bound
// parameter).
//
//	go test ./webhooks -run '^$' -fuzz '^FuzzDeliveryFilter$' -fuzztime 60s
func FuzzDeliveryFilter(f *testing.F) {
	for _, seed := range []string{
		"", "tenant_id=1&status=failed&limit=20", "meeting_code=Boooply-AI-1&event_type=interview.scores",
		"candidate_name=Jane%25' OR 1=1 --", "since=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00Z",
		"after=9223372036854775807", "limit=0", "limit=501", "limit=abc", "tenant_id=-1", "status=unknown", "status=held",
		"meeting_code=%00", "candidate_name=%FF%FE", "since=yesterday", "event_type=' UNION SELECT * FROM users --",
	} {
		f.Add(seed)
	}
	db := testdb.Open(f, testdb.Targets(f)[0].URL)
	store := NewStore(db.Gorm)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		get := func(key string, def ...string) string {
			if v := q.Get(key); v != "" {
				return v
			}
			if len(def) > 0 {
				return def[0]
			}
			return ""
		}
		filter, err := ParseDeliveryFilter(get)
		if err != nil {
			if p, ok := problem.As(err); !ok || problem.Status(p.Code) >= 500 {
				t.Fatalf("filter %q: %v is not a client error", raw, err)
			}
			return
		}
		if _, _, err := store.ListDeliveryRows(context.Background(), filter); err != nil {
			t.Fatalf("filter %q parsed but the search failed: %v", raw, err)
		}
	})
}
