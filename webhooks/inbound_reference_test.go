package webhooks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/switchboard-gw/switchboard/problem"
)

// The ingest parser as it was before the one-pass walk, kept verbatim as
// the reference the tests compare against: fingerprints stored by earlier
// versions must keep deduplicating, and every refusal must stay the same.

// parseInboundReference is the former ParseInbound.
func parseInboundReference(body []byte) (Inbound, error) {
	if !gjson.ValidBytes(body) {
		return Inbound{}, problem.BadRequest("body", "is not valid JSON")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return Inbound{}, problem.BadRequest("body", "must be a JSON object")
	}
	if k := repeatedKey(root, "event", "data"); k != "" {
		return Inbound{}, problem.BadRequest(k, "appears more than once")
	}
	ev, data := root.Get("event"), root.Get("data")
	if k := repeatedKey(data, "meetingCode", "sourceId"); k != "" {
		return Inbound{}, problem.BadRequest("data."+k, "appears more than once")
	}
	switch {
	case !ev.Exists():
		return Inbound{}, problem.BadRequest("event", "is missing")
	case ev.Type != gjson.String || ev.Str == "":
		return Inbound{}, problem.BadRequest("event", "must be a non-empty string")
	case !data.Exists():
		return Inbound{}, problem.BadRequest("data", "is missing")
	case !data.IsObject():
		return Inbound{}, problem.BadRequest("data", "must be an object")
	}
	if err := checkText("event", ev.Str); err != nil {
		return Inbound{}, err
	}
	in := Inbound{Event: ev.Str, Body: body}
	mc := data.Get("meetingCode")
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
	switch src := data.Get("sourceId"); src.Type {
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
		in.VideoAPIURL, in.VideoURLExpiresAt = recordingFields(data)
	}
	fp, err := fingerprintReference(body)
	if err != nil {
		return Inbound{}, problem.BadRequest("body", err.Error())
	}
	in.Fingerprint = fp
	return in, nil
}

// fingerprintReference is the former fingerprint: sjson deletes
// data.timestamp, then a top-level timestamp, from a copy of the body, and
// the compacted copy is hashed.
func fingerprintReference(body []byte) (string, error) {
	stripped := body
	for _, path := range []string{"data.timestamp", "timestamp"} {
		if gjson.GetBytes(stripped, path).Exists() {
			var err error
			if stripped, err = sjson.DeleteBytes(stripped, path); err != nil {
				return "", fmt.Errorf("fingerprint: %w", err)
			}
		}
	}
	h := sha256.New()
	writeCompact(h, stripped)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// repeatedKey returns the first of names that obj (an object) holds more
// than once, or "".
func repeatedKey(obj gjson.Result, names ...string) string {
	if !obj.IsObject() {
		return ""
	}
	seen := make([]int, len(names))
	found := ""
	obj.ForEach(func(k, _ gjson.Result) bool {
		for i, n := range names {
			if k.Str == n {
				if seen[i]++; seen[i] > 1 {
					found = n
					return false
				}
			}
		}
		return true
	})
	return found
}

// writeCompact writes valid JSON b to w without insignificant whitespace:
// the bytes json.Compact produces (ParseInbound has validated b), without
// its buffer or its validation, in runs between whitespace.
func writeCompact(w io.Writer, b []byte) {
	inString, escaped, start := false, false, 0
	for i, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if start < i {
				_, _ = w.Write(b[start:i])
			}
			start = i + 1
		}
	}
	if start < len(b) {
		_, _ = w.Write(b[start:])
	}
}
