package webhooks

import (
	"context"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestPlatformHeaderIgnoresCase: X-Boooply-Platform selects its source
// whatever the letter case of the header or of the value the admin typed,
// and still only that source's secrets.
func TestPlatformHeaderIgnoresCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		kr := testKeyring(t)
		secret, err := NewSourceStore(db.Gorm, kr).CreateSource(ctx, &Source{Name: "TalentFlow", Platform: "TalentFlow"}, "talentflow-secret-0001")
		if err != nil {
			t.Fatal(err)
		}
		keys := NewKeys(db.Gorm, kr, []string{"static-secret-0001"}, discardLog())
		if err := keys.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		body := []byte(`{"event":"interview.scores","data":{"meetingCode":"m"}}`)
		for _, tc := range []struct {
			header, secret string
			want           error
		}{
			{"TalentFlow", secret, nil},
			{"talentflow", secret, nil},
			{" TALENTFLOW ", secret, nil},
			{"talentflow", "static-secret-0001", ErrBadSignature},
		} {
			if err := VerifyWith(keys.Candidates(tc.header, ""), body, sign(tc.secret, body)); err != tc.want {
				t.Errorf("header %q signed with %q: got %v, want %v", tc.header, tc.secret, err, tc.want)
			}
		}
	})
}
