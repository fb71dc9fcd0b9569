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
// expires: from its X-Amz-Date + X-Amz-Expires, else 7 days after the
// event's timestamp (nil when neither is readable: ingest then counts from
// receipt).
func recordingFields(data gjson.Result) (*string, *time.Time) {
	var apiURL *string
	// A link with a NUL or invalid UTF-8 is no link, and would not fit the
	// text column: the body keeps it as sent.
	if v := data.Get("videoApiUrl"); v.Type == gjson.String && v.Str != "" && checkText("", v.Str) == nil {
		s := v.Str
		apiURL = &s
	}
	if exp, ok := presignedExpiry(data.Get("videoUrl").Str); ok {
		return apiURL, &exp
	}
	if ts, err := time.Parse(time.RFC3339Nano, data.Get("timestamp").Str); err == nil {
		exp := ts.UTC().Add(presignedLifetime)
		return apiURL, &exp
	}
	return apiURL, nil
}

// presignedExpiry reads an S3 pre-signed URL's signing time and lifetime.
func presignedExpiry(raw string) (time.Time, bool) {
	if raw == "" {
		return time.Time{}, false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return time.Time{}, false
	}
	q := u.Query()
	signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return time.Time{}, false
	}
	secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil || secs < 0 || secs > 10*365*24*3600 {
		return time.Time{}, false
	}
	return signed.Add(time.Duration(secs) * time.Second).UTC(), true
}
