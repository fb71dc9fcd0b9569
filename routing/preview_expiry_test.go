package routing

import (
	"context"
	"testing"
	"time"
)

// TestPreviewStoredRecordingExpiry: previewing a mapping on a stored
// recording gives it the expiry the delivery worker would
// (meta.video_url_expires_at), so the preview shows what will be sent.
func TestPreviewStoredRecordingExpiry(t *testing.T) {
	exp := time.Date(2026, 3, 28, 18, 40, 0, 0, time.UTC)
	events := func(context.Context, int64) (*StoredEvent, error) {
		return &StoredEvent{EventType: "interview.recording", MeetingCode: "m", Revision: 1,
			Body: []byte(`{"event":"interview.recording","data":{"meetingCode":"m"}}`), VideoURLExpiresAt: &exp}, nil
	}
	in, err := resolveInput(context.Background(), PreviewRequest{EventID: 7}, nil, events, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := mustCompile(t, `{"mode":"rules","rules":[{"target":"expires","from":"meta.video_url_expires_at"}]}`)
	out, err := c.Apply(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `{"expires":"2026-03-28T18:40:00Z"}`; got != want {
		t.Fatalf("preview output %s, want %s", got, want)
	}
}
