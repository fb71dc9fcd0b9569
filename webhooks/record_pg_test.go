package webhooks

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestRecordInOneStatement: the one-statement record writes the same
// attempt and delivery rows as GORM's Create and Updates, for each shape
// of update, and sets the attempt's id.
func TestRecordInOneStatement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		if db.Dialect != database.Postgres {
			t.Skip("PostgreSQL only")
		}
		at := time.Date(2026, 5, 6, 7, 8, 9, 123456000, time.UTC)
		code := 503
		cases := []struct {
			name    string
			attempt Attempt
			updates map[string]any
		}{
			{"delivered", Attempt{Number: 1, StartedAt: at, DurationMS: 12, StatusCode: &code, ResponseBody: "ok",
				RequestHeaders: map[string]string{"A": "1"}, ResponseHeaders: map[string]string{"B": "2"}},
				map[string]any{"status": DeliveryDelivered, "attempts": 1, "last_status_code": &code, "last_error": "", "updated_at": at, "delivered_at": at,
					"mapping_version_id": int64(7), "mapped_body": []byte(`{"x":1}`)}},
			{"failed, no response", Attempt{Number: 2, StartedAt: at, ErrorClass: "timeout", Error: "timed out",
				RequestHeaders: map[string]string{}, ResponseHeaders: map[string]string{}},
				map[string]any{"status": DeliveryPending, "attempts": 2, "last_status_code": (*int)(nil), "last_error": "timed out", "updated_at": at}},
			{"mapped, no body change", Attempt{Number: 3, StartedAt: at, StatusCode: &code, RequestHeaders: map[string]string{}, ResponseHeaders: map[string]string{}},
				map[string]any{"status": DeliveryFailed, "attempts": 3, "last_status_code": &code, "last_error": "x", "updated_at": at, "mapping_version_id": (*int64)(nil)}},
		}
		ids := mustCreateDeliveries(t, db, 2*len(cases))
		var rec attemptRecord
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				one, two := ids[2*i], ids[2*i+1]
				a := tc.attempt
				a.DeliveryID, a.TenantID = one, 1
				if err := recordInOneStatement(context.Background(), db.Gorm, &rec, &a, one, tc.updates); err != nil || a.ID == 0 {
					t.Fatalf("record: id %d, %v", a.ID, err)
				}
				b := tc.attempt
				b.DeliveryID, b.TenantID = two, 1
				if err := db.Gorm.Create(&b).Error; err != nil {
					t.Fatal(err)
				}
				if err := db.Gorm.Model(&Delivery{}).Where("id = ?", two).Updates(tc.updates).Error; err != nil {
					t.Fatal(err)
				}
				var got, want Attempt
				var gotD, wantD Delivery
				for _, read := range []struct {
					dest any
					id   int64
				}{{&got, a.ID}, {&want, b.ID}, {&gotD, one}, {&wantD, two}} {
					if err := db.Gorm.First(read.dest, read.id).Error; err != nil {
						t.Fatal(err)
					}
				}
				got.ID, got.DeliveryID, want.ID, want.DeliveryID = 0, 0, 0, 0
				if !reflect.DeepEqual(got, want) {
					t.Errorf("attempt:\n got %+v\nwant %+v", got, want)
				}
				gotD.ID, gotD.EventID, gotD.CreatedAt, wantD.ID, wantD.EventID, wantD.CreatedAt = 0, 0, time.Time{}, 0, 0, time.Time{}
				if !reflect.DeepEqual(gotD, wantD) {
					t.Errorf("delivery:\n got %+v\nwant %+v", gotD, wantD)
				}
			})
		}
	})
}
