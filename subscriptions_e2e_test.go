package main

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/sjson"

	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// interviewerEvent is the interviewer_evaluation sample for source (a
// sourceId) and meeting.
func interviewerEvent(t *testing.T, source, meeting string) []byte {
	t.Helper()
	body, err := webhooks.Sample("interview.interviewer_evaluation")
	if err != nil {
		t.Fatal(err)
	}
	body = bytes.Replace(body, []byte(`"org_7234567890"`), []byte(`"`+source+`"`), 1)
	return bytes.Replace(body, []byte("Boooply-H-1234567890"), []byte(meeting), 1)
}

// unknownEvent is the evaluation sample renamed to an event type Switchboard doesn't know.
func unknownEvent(t *testing.T, eventType, meeting string) []byte {
	t.Helper()
	body, err := sjson.SetBytes(sampleFor(t, "org_7234567890", meeting), "event", eventType)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func hasBody(bodies [][]byte, part []byte) bool {
	for _, b := range bodies {
		if bytes.Contains(b, part) {
			return true
		}
	}
	return false
}

// TestInterviewerEvaluationNamedOnly: on each database, with a real
// receiver, an endpoint on "*" does not get interview.interviewer_evaluation
// and one that names it does, whether the event routes at once or is
// delivered held; the "*" endpoint's page says so; a replay to the "*"
// endpoint is refused (so is a test send of the sample), and a delivery
// planned before the rule (a retry of it) is not sent.
func TestInterviewerEvaluationNamedOnly(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			recv := newReceiver(t, nil)
			base, pc := adminSignedIn(t, target.URL, "--retry-schedule", "20ms")
			db := testdb.Open(t, target.URL)
			token := adminBearer(t, target.URL, base)
			tenant := func(source, prefix string) (id, all, named any) {
				body := fmt.Sprintf(`{"name":%q,"source_id":%q,"endpoints":[{"url":"%s/%s-all","subscriptions":["*"]},`+
					`{"url":"%s/%s-named","subscriptions":["interview.evaluation","interview.interviewer_evaluation"]}]}`, source, source, recv.URL, prefix, recv.URL, prefix)
				tn := apiCall(t, token, "POST", base+"/api/v1/tenants", body, 201)
				eps := tn["endpoints"].([]any)
				return tn["id"], eps[0].(map[string]any)["id"], eps[1].(map[string]any)["id"]
			}
			nowID, allID, namedID := tenant("org_7234567890", "now")
			st, page, _ := pc.do("GET", fmt.Sprintf("/admin/tenants/%v/endpoints/%v", nowID, allID), nil)
			if st != 200 || !strings.Contains(page, "all (incl. future types; interview.interviewer_evaluation only when checked)") ||
				!strings.Contains(page, "does not include interview.interviewer_evaluation") {
				t.Fatalf("page of the \"*\" endpoint = %d, want it to say interviewer evaluations need checking:\n%s", st, page)
			}
			sampleOption := `<option value="interview.interviewer_evaluation"`
			if strings.Contains(page, sampleOption) {
				t.Fatalf("page of the \"*\" endpoint offers the interviewer evaluation sample as a test event")
			}
			if _, page, _ := pc.do("GET", fmt.Sprintf("/admin/tenants/%v/endpoints/%v", nowID, namedID), nil); strings.Contains(page, "does not include") ||
				!strings.Contains(page, sampleOption) {
				t.Fatalf("page of the naming endpoint warns about what it names, or doesn't offer its sample")
			}

			if ans := mustPost(t, base, interviewerEvent(t, "org_7234567890", "human-1")); ans["deliveries"] != 1.0 {
				t.Fatalf("interviewer evaluation: %v, want one delivery (the endpoint naming it)", ans)
			}
			mustPost(t, base, sampleFor(t, "org_7234567890", "ai-1"))
			waitFor(t, "the evaluation at both endpoints", func() bool {
				return len(recv.bodies("/now-all")) == 1 && len(recv.bodies("/now-named")) == 2
			})

			// Held: the same rule when the tenant is created after the event arrived.
			mustPost(t, base, interviewerEvent(t, "org_late", "human-2"))
			lateID, lateAllID, _ := tenant("org_late", "late")
			held := apiCall(t, token, "POST", fmt.Sprintf("%s/api/v1/tenants/%v/deliver-held", base, lateID), `{}`, 200)
			if held["events"] != 1.0 {
				t.Fatalf("deliver-held = %v, want one event", held)
			}
			waitFor(t, "the held interviewer evaluation", func() bool { return len(recv.bodies("/late-named")) == 1 })
			if n := countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE endpoint_id = ?", lateAllID); n != 0 {
				t.Fatalf("held event planned %d deliveries to the \"*\" endpoint, want none", n)
			}

			var eventID int64
			if err := db.Gorm.Raw("SELECT id FROM events WHERE meeting_code = 'human-1'").Scan(&eventID).Error; err != nil || eventID == 0 {
				t.Fatalf("event human-1: %v", err)
			}
			replay := fmt.Sprintf("%s/api/v1/events/%d/replay", base, eventID)
			checkInvalid(t, apiCall(t, token, "POST", replay, fmt.Sprintf(`{"endpoint_id":%v}`, allID), 422), "endpoint_id", "don't name interview.interviewer_evaluation")
			apiCall(t, token, "POST", replay, fmt.Sprintf(`{"endpoint_id":%v}`, namedID), 202)
			testSend := `{"tenant_id":%v,"endpoint_id":%v,"event_type":"interview.interviewer_evaluation"}`
			checkInvalid(t, apiCall(t, token, "POST", base+"/api/v1/deliveries/test", fmt.Sprintf(testSend, nowID, allID), 422), "event_type", "don't name interview.interviewer_evaluation")
			waitFor(t, "the replay to the naming endpoint", func() bool { return len(recv.bodies("/now-named")) == 3 })

			// A delivery planned when "*" still matched (before the upgrade) fails on retry without a request.
			now := time.Now().UTC()
			if err := db.Gorm.Exec("INSERT INTO deliveries (event_id, tenant_id, endpoint_id, status, attempts, created_at, updated_at) SELECT ?, tenant_id, ?, 'failed', 1, ?, ? FROM endpoints WHERE id = ?",
				eventID, allID, now, now, allID).Error; err != nil {
				t.Fatal(err)
			}
			var old int64
			if err := db.Gorm.Raw("SELECT id FROM deliveries WHERE event_id = ? AND endpoint_id = ?", eventID, allID).Scan(&old).Error; err != nil {
				t.Fatal(err)
			}
			apiCall(t, token, "POST", fmt.Sprintf("%s/api/v1/deliveries/%d/retry", base, old), ``, 202)
			waitFor(t, "the old delivery to fail", func() bool {
				return countRows(t, db, "SELECT COUNT(*) FROM attempts WHERE delivery_id = ? AND error_class = 'not-subscribed'", old) == 1
			})
			if n := countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE id = ? AND status = 'failed'", old); n != 1 {
				t.Fatalf("old delivery not failed")
			}
			for _, path := range []string{"/now-all", "/late-all"} {
				if hasBody(recv.bodies(path), []byte("interviewer_evaluation")) {
					t.Fatalf("%s received an interviewer evaluation", path)
				}
			}
			if n := recv.hitCount("/late-all"); n != 0 {
				t.Fatalf("/late-all got %d requests, want none", n)
			}
		})
	}
}

// TestSubscribeToReceivedType: on each database, the API and the CLI accept
// an event type Switchboard doesn't know once it has received one, refuse a
// name never seen with a 422 saying so, the next event of that type reaches
// the endpoints naming it, and the endpoint form shows it checked and keeps
// it when saved.
func TestSubscribeToReceivedType(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			recv := newReceiver(t, nil)
			base, pc := adminSignedIn(t, target.URL)
			token := adminBearer(t, target.URL, base)
			tn := apiCall(t, token, "POST", base+"/api/v1/tenants", `{"name":"Acme","source_id":"org_7234567890"}`, 201)
			eps := fmt.Sprintf("%s/api/v1/tenants/%v/endpoints", base, tn["id"])
			body := fmt.Sprintf(`{"url":"%s/feedback","subscriptions":["interview.feedback"]}`, recv.URL)
			checkInvalid(t, apiCall(t, token, "POST", eps, body, 422), "subscriptions", `"interview.feedback": not a known type and never received`)

			if ans := mustPost(t, base, unknownEvent(t, "interview.feedback", "fb-1")); ans["deliveries"] != 0.0 {
				t.Fatalf("first feedback event: %v, want stored without deliveries", ans)
			}
			ep := apiCall(t, token, "POST", eps, body, 201)
			checkInvalid(t, apiCall(t, token, "PATCH", fmt.Sprintf("%s/%v", eps, ep["id"]), `{"subscriptions":["interview.feedbak"]}`, 422),
				"subscriptions", `"interview.feedbak": not a known type and never received`)

			cli := func(args ...string) error {
				var out bytes.Buffer
				return run(t.Context(), append(args, "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints"), &out)
			}
			tid := fmt.Sprint(tn["id"])
			if err := cli("endpoints", "add", "--tenant", tid, "--url", recv.URL+"/cli", "--subscribe", "interview.feedback,interview.scores"); err != nil {
				t.Fatalf("CLI subscribing to a received type: %v", err)
			}
			if err := cli("endpoints", "add", "--tenant", tid, "--url", recv.URL+"/typo", "--subscribe", "interview.feedbak"); err == nil ||
				!strings.Contains(err.Error(), `"interview.feedbak": not a known type and never received`) {
				t.Fatalf("CLI typo: err = %v, want it refused as never received", err)
			}

			// The server's tenant cache sees the CLI's endpoint within a poll interval.
			n := 1
			waitFor(t, "a feedback event routed to both endpoints", func() bool {
				n++
				return mustPost(t, base, unknownEvent(t, "interview.feedback", fmt.Sprint("fb-", n)))["deliveries"] == 2.0
			})
			last := []byte(fmt.Sprint(`"fb-`, n, `"`))
			waitFor(t, "the feedback event at both endpoints", func() bool {
				return hasBody(recv.bodies("/feedback"), last) && hasBody(recv.bodies("/cli"), last)
			})
			for _, got := range recv.bodies("/feedback") {
				if !bytes.Contains(got, []byte(`"event":"interview.feedback"`)) {
					t.Fatalf("delivered %s, want only feedback events", got)
				}
			}

			page := fmt.Sprintf("/admin/tenants/%v/endpoints/%v", tn["id"], ep["id"])
			st, html, _ := pc.do("GET", page, nil)
			checked := regexp.MustCompile(`<input type="checkbox" id="endpoint-subscriptions-\d+" name="subscriptions" value="interview.feedback" checked>`)
			if st != 200 || !checked.MatchString(html) {
				t.Fatalf("endpoint page = %d, want interview.feedback checked:\n%s", st, html)
			}
			// Saving the form as shown keeps the subscription.
			form := url.Values{"url": {recv.URL + "/feedback"}, "subscriptions": {"interview.feedback"}, "enabled": {"true"}, "auth_type": {"none"}}
			if st, html, _ := pc.post(page, form); st >= 400 {
				t.Fatalf("saving the form: %d\n%s", st, html)
			}
			got := apiCall(t, token, "GET", fmt.Sprintf("%s/%v", eps, ep["id"]), "", 200)
			if fmt.Sprint(got["subscriptions"]) != "[interview.feedback]" {
				t.Fatalf("subscriptions after the form = %v, want [interview.feedback]", got["subscriptions"])
			}
		})
	}
}
