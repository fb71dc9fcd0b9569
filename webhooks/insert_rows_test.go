package webhooks

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// The batch inserts write every column the struct carries, NULLs
// included, and hand back ids in row order, on both dialects.
func TestInsertRowsRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		tn := mustCreateTenant(t, db, "org-rows", "https://ats.example/hook")
		var epID int64
		if err := db.Gorm.Raw("SELECT id FROM endpoints WHERE tenant_id = ?", tn.ID).Scan(&epID).Error; err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		later := now.Add(7 * 24 * time.Hour)
		src, video := "org-rows", "https://api.boooply.example/v/1"
		want := []*Event{
			{EventType: "interview.recording", MeetingCode: "m-1", SourceID: &src, TenantID: &tn.ID, Revision: 1, Fingerprint: "f1",
				Body: []byte(`{"event":"interview.recording"}`), ReceivedAt: now, VideoAPIURL: &video, VideoURLExpiresAt: &later, CandidateName: "Ada Lovelace"},
			{EventType: "interview.scores", MeetingCode: "m-2", Revision: 2, Fingerprint: "f2", Body: []byte(`{"x":"\u00e9<>&"}`),
				Duplicates: 3, LastDuplicateAt: &now, ReceivedAt: now},
			{EventType: "interview.scores", MeetingCode: "m-3", Revision: 1, Fingerprint: "f3", Body: []byte{}, ReceivedAt: now},
		}
		var ds []Delivery
		err := db.Gorm.Transaction(func(tx *gorm.DB) error {
			if err := insertEventRows(context.Background(), tx, want); err != nil {
				return err
			}
			ds = []Delivery{
				{EventID: want[0].ID, TenantID: tn.ID, EndpointID: epID, Status: DeliveryPending, CreatedAt: now, UpdatedAt: now},
				{EventID: want[1].ID, TenantID: tn.ID, EndpointID: epID, Status: DeliveryHeld, CreatedAt: now, UpdatedAt: later},
			}
			return insertDeliveryRows(context.Background(), tx, ds)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			var got Event
			if err := db.Gorm.First(&got, w.ID).Error; err != nil {
				t.Fatal(err)
			}
			if got.MeetingCode != w.MeetingCode || got.EventType != w.EventType || got.Revision != w.Revision ||
				got.Fingerprint != w.Fingerprint || string(got.Body) != string(w.Body) || got.Duplicates != w.Duplicates ||
				got.CandidateName != w.CandidateName || !got.ReceivedAt.Equal(w.ReceivedAt) ||
				!sameString(got.SourceID, w.SourceID) || !sameString(got.VideoAPIURL, w.VideoAPIURL) ||
				!sameInt(got.TenantID, w.TenantID) || !sameTime(got.LastDuplicateAt, w.LastDuplicateAt) ||
				!sameTime(got.VideoURLExpiresAt, w.VideoURLExpiresAt) {
				t.Errorf("event %d read back as %+v, wrote %+v", w.ID, got, *w)
			}
		}
		for _, w := range ds {
			var got Delivery
			if err := db.Gorm.First(&got, w.ID).Error; err != nil {
				t.Fatal(err)
			}
			if got.EventID != w.EventID || got.EndpointID != w.EndpointID || got.TenantID != w.TenantID || got.Status != w.Status ||
				!got.CreatedAt.Equal(w.CreatedAt) || !got.UpdatedAt.Equal(w.UpdatedAt) || got.Attempts != 0 || got.MappedBody != nil {
				t.Errorf("delivery %d read back as %+v, wrote %+v", w.ID, got, w)
			}
		}
	})
}

func sameString(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func sameInt(a, b *int64) bool     { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}
