package webhooks

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// The batch insert writes every column the struct carries, NULLs
// included, and hands back every event's and delivery's id, each delivery
// tied to its own event, on both dialects.
func TestInsertRowsRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		tn := mustCreateTenant(t, db, "org-rows", "https://ats.example/hook", "https://ats.example/other")
		var eps []int64
		if err := db.Gorm.Raw("SELECT id FROM endpoints WHERE tenant_id = ? ORDER BY id", tn.ID).Scan(&eps).Error; err != nil || len(eps) != 2 {
			t.Fatalf("endpoints %v: %v", eps, err)
		}
		epID, epID2 := eps[0], eps[1]
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
		// Deliveries for the first two events (the third has none): their
		// event ids are unknown until the events are inserted.
		ds := []Delivery{
			{TenantID: tn.ID, EndpointID: epID, Status: DeliveryPending, CreatedAt: now, UpdatedAt: now},
			{TenantID: tn.ID, EndpointID: epID2, Status: DeliveryPending, CreatedAt: now, UpdatedAt: now},
			{TenantID: tn.ID, EndpointID: epID, Status: DeliveryHeld, CreatedAt: now, UpdatedAt: later},
		}
		owners := []*Event{want[0], want[0], want[1]}
		err := db.Gorm.Transaction(func(tx *gorm.DB) error {
			return insertBatchRows(context.Background(), tx, want, ds, owners)
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range ds {
			if d.ID == 0 || d.EventID == 0 || d.EventID != owners[i].ID {
				t.Errorf("delivery %d: id %d, event %d; want ids filled in, event %d", i, d.ID, d.EventID, owners[i].ID)
			}
		}
		if ds[0].ID == ds[1].ID || ds[0].ID == ds[2].ID || ds[1].ID == ds[2].ID {
			t.Errorf("delivery ids %d, %d, %d: want distinct", ds[0].ID, ds[1].ID, ds[2].ID)
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
