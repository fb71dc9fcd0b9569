package webhooks

import (
	"net/url"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
)

// eventRecording is the event whose videoUrl expires.
const eventRecording = "interview.recording"

// presignedLifetime is how long Boooply documents videoUrl to live.
const presignedLifetime = 7 * 24 * time.Hour

// recordingFields extracts the durable videoApiUrl and when videoUrl
// expires: from its X-Amz-Date + X-Amz-Expires; with X-Amz-Expires alone,
// that lifetime after the event's timestamp (the link was signed no later);
// from a SigV2 link's absolute Expires; else 7 days after the event's
// timestamp (nil when neither is readable: ingest then counts from receipt).
func recordingFields(data gjson.Result) (*string, *time.Time) {
	var apiURL *string
	// A link with a NUL or invalid UTF-8 is no link, and would not fit the
	// text column: the body keeps it as sent.
	if v := data.Get("videoApiUrl"); v.Type == gjson.String && v.Str != "" && checkText("", v.Str) == nil {
		s := v.Str
		apiURL = &s
	}
	ts, tsErr := time.Parse(time.RFC3339Nano, data.Get("timestamp").Str)
	q := presignedQuery(data.Get("videoUrl").Str)
	if exp, ok := presignedExpiry(q); ok {
		return apiURL, &exp
	}
	if tsErr != nil {
		return apiURL, nil
	}
	lifetime := presignedLifetime
	if secs, ok := amzExpires(q); ok {
		lifetime = time.Duration(secs) * time.Second
	}
	exp := ts.UTC().Add(lifetime)
	return apiURL, &exp
}

// presignedQuery is the query of a pre-signed URL (nil when unreadable).
func presignedQuery(raw string) url.Values {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	return u.Query()
}

// presignedExpiry reads when a pre-signed URL stops working from its query
// alone: SigV4's signing time (X-Amz-Date) plus lifetime (X-Amz-Expires),
// or SigV2's Expires (Unix seconds).
func presignedExpiry(q url.Values) (time.Time, bool) {
	if signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date")); err == nil {
		if secs, ok := amzExpires(q); ok {
			return signed.Add(time.Duration(secs) * time.Second).UTC(), true
		}
	}
	if q.Get("Signature") != "" {
		if at, err := strconv.ParseInt(q.Get("Expires"), 10, 64); err == nil && at > 0 && at < 1<<40 {
			return time.Unix(at, 0).UTC(), true
		}
	}
	return time.Time{}, false
}

// amzExpires is X-Amz-Expires in seconds, when plausible.
func amzExpires(q url.Values) (int64, bool) {
	secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil || secs < 0 || secs > 10*365*24*3600 {
		return 0, false
	}
	return secs, true
}
