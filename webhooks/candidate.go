package webhooks

import (
	"strings"

	"github.com/tidwall/gjson"
)

// CandidateName returns data.candidateName of an event body ("" when the
// body has none or is not JSON). Ingest stores it in events.candidate_name
// so lists can filter by it without parsing bodies.
func CandidateName(body []byte) string {
	v := gjson.GetBytes(body, "data.candidateName")
	if v.Type != gjson.String {
		return ""
	}
	name := v.String()
	if len(name) > 200 { // a name, not a document: keep the column small
		name = name[:200]
	}
	// The column is text: a NUL or invalid UTF-8 would fail the whole
	// commit on PostgreSQL (a 503 Boooply retries for ever). The body keeps
	// the name as sent.
	return textColumn(name, "")
}

// likeContains turns s into a LIKE pattern matching any text that contains
// it, ignoring case; % and _ in s match themselves (ESCAPE '\').
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}
