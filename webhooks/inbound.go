package webhooks

import (
	"fmt"
	"time"

	"github.com/tidwall/gjson"

	"github.com/switchboard-gw/switchboard/problem"
)

// Inbound is what ingest extracts from a verified body without decoding the
// whole document: the routing and idempotency fields.
type Inbound struct {
	Event       string
	MeetingCode string
	SourceID    *string // nil when absent or null (dashboard-created interview)
	Fingerprint string  // sha256 of the content without the envelope's timestamp
	Body        []byte
	// Recording events only: the stable link and when videoUrl expires
	// (nil expiry: unknown yet, ingest uses 7 days after receipt).
	VideoAPIURL       *string
	VideoURLExpiresAt *time.Time
}

const maxMeetingCodeLen = 200

// ParseInbound extracts the routing fields of body. Errors are
// problem.BadRequest naming what is wrong.
func ParseInbound(body []byte) (Inbound, error) {
	if !gjson.ValidBytes(body) {
		return Inbound{}, problem.BadRequest("body", "is not valid JSON")
	}
	env := readEnvelope(body)
	if !env.isObject {
		return Inbound{}, problem.BadRequest("body", "must be a JSON object")
	}
	// Parsers disagree on repeated keys (first wins here, last in most
	// decoders), so a repeated routing key could verify against one tenant's
	// secret and route to another: refuse it.
	if k := env.root.repeated(); k != "" {
		return Inbound{}, problem.BadRequest(k, "appears more than once")
	}
	if k := env.data.repeated(); k != "" {
		return Inbound{}, problem.BadRequest("data."+k, "appears more than once")
	}
	ev, data := env.root.get("event").result(body), env.root.get("data").value
	switch {
	case !ev.Exists():
		return Inbound{}, problem.BadRequest("event", "is missing")
	case ev.Type != gjson.String || ev.Str == "":
		return Inbound{}, problem.BadRequest("event", "must be a non-empty string")
	case data.end == 0:
		return Inbound{}, problem.BadRequest("data", "is missing")
	case body[data.start] != '{':
		return Inbound{}, problem.BadRequest("data", "must be an object")
	}
	if err := checkText("event", ev.Str); err != nil {
		return Inbound{}, err
	}
	in := Inbound{Event: ev.Str, Body: body, Fingerprint: env.fingerprint}
	mc := env.data.get("meetingCode").result(body)
	switch {
	case !mc.Exists() || mc.Type == gjson.Null:
		return Inbound{}, problem.BadRequest("data.meetingCode", "is missing")
	case mc.Type != gjson.String || mc.Str == "":
		return Inbound{}, problem.BadRequest("data.meetingCode", "must be a non-empty string")
	case len(mc.Str) > maxMeetingCodeLen:
		return Inbound{}, problem.BadRequest("data.meetingCode", fmt.Sprintf("is longer than %d bytes", maxMeetingCodeLen))
	}
	if err := checkText("data.meetingCode", mc.Str); err != nil {
		return Inbound{}, err
	}
	in.MeetingCode = mc.Str
	switch src := env.data.get("sourceId").result(body); src.Type {
	case gjson.String:
		if err := checkText("data.sourceId", src.Str); err != nil {
			return Inbound{}, err
		}
		s := src.Str
		in.SourceID = &s
	case gjson.Null:
	default:
		if src.Exists() {
			return Inbound{}, problem.BadRequest("data.sourceId", "must be a string or null")
		}
	}
	if in.Event == eventRecording {
		in.VideoAPIURL, in.VideoURLExpiresAt = recordingFields(gjson.ParseBytes(body[data.start:data.end]))
	}
	return in, nil
}

// checkText refuses routing fields that no text column can hold the same on
// both dialects (PostgreSQL rejects NUL and invalid UTF-8 in text): a
// client mistake answered 400 everywhere, never a 503 Boooply would retry.
func checkText(field, s string) error {
	if reason := problem.TextFault(s); reason != "" {
		return problem.BadRequest(field, reason)
	}
	return nil
}

// fingerprint hashes the compact body without data.timestamp (and a
// top-level timestamp, as the pre-envelope format had), so a redelivery
// that only re-stamps the envelope is a duplicate while a re-run analysis
// with new content is a new revision. readEnvelope computes it; the error
// is always nil (the former implementation, sjson deletes on a copy, could
// fail).
func fingerprint(body []byte) (string, error) {
	return readEnvelope(body).fingerprint, nil
}
