package webhooks

import (
	"context"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestRecordingExpiryInMapping: the worker gives mappings when a recording's
// videoUrl expires, as meta.video_url_expires_at (rules) and
// $meta.video_url_expires_at (jq), so the ATS can be told how long the link
// in the body works.
func TestRecordingExpiryInMapping(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{})
		jqHook, rulesHook := newHook(t, nil), newHook(t, nil)
		tn, jqEP := createTenant(t, db, "org_exp_jq", jqHook.URL, nil)
		_, rulesEP := createTenant(t, db, "org_exp_rules", rulesHook.URL, nil)
		maps := routing.NewStore(db.Gorm)
		for _, m := range []struct {
			tenant, endpoint int64
			spec             string
		}{
			{tn.ID, jqEP.ID, `{"mode":"jq","program":"{expires: $meta.video_url_expires_at}"}`},
			{rulesEP.TenantID, rulesEP.ID, `{"mode":"rules","rules":[{"target":"expires","from":"meta.video_url_expires_at"}]}`},
		} {
			spec, err := routing.ParseMapping([]byte(m.spec))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := maps.CreateVersion(ctx, m.tenant, m.endpoint, spec, "test", ""); err != nil {
				t.Fatal(err)
			}
		}
		for _, src := range []string{"org_exp_jq", "org_exp_rules"} {
			body := `{"event":"interview.recording","data":{"meetingCode":"m-` + src + `","sourceId":"` + src + `",` +
				`"videoUrl":"https://s3.example/v.mp4?X-Amz-Date=20260321T184000Z&X-Amz-Expires=3600&X-Amz-Signature=ab","timestamp":"2026-03-21T18:40:00.000Z"}}`
			if _, err := e.svc.Ingest(ctx, mustParse(t, body)); err != nil {
				t.Fatal(err)
			}
		}
		for _, h := range []*hook{jqHook, rulesHook} {
			waitUntil(t, "the recording delivery", func() bool { return len(h.got()) >= 1 })
			if got, want := string(h.got()[0].body), `{"expires":"2026-03-21T19:40:00Z"}`; got != want {
				t.Fatalf("delivered %s, want %s", got, want)
			}
		}
	})
}
