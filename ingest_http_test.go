package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// twoHourTranscript builds an interview.transcript as long as a two-hour
// human interview: a turn every 3 s (2,400 entries) of about 300 bytes of
// text with non-ASCII names, both startMs and endMs.
func twoHourTranscript(meetingCode string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"event":"interview.transcript","data":{"meetingCode":"` + meetingCode + `","title":"Panel","meetingType":"HUMAN","isTeamMeeting":true,` +
		`"candidateName":"Zoë Ågren","jobRole":"Staff Engineer","source":"Acme","sourceId":"org_long","sourcePlatform":"P","transcript":[`)
	line := strings.Repeat("I worked on the payments platform – latency, retries and idempotency keys. ", 4)
	for i := range 2400 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"speaker":"Speaker %d","text":%q,"startMs":%d,"endMs":%d}`, i%3, line, i*3000, i*3000+2900)
	}
	b.WriteString(`],"transcriptCount":2400,"timestamp":"2026-03-21T20:30:00.000Z"}}`)
	return b.Bytes()
}

// postRaw sends body with headers and returns the status and answer.
func postRaw(t *testing.T, url string, body []byte, headers map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestIngestHTTP runs the real server: a two-hour transcript fits the
// default body limit and a body over it is a JSON 413; the Bearer secret
// never reaches the log; /metrics counts outcomes; a source created through
// the admin API verifies at once, selected by X-Boooply-Platform.
func TestIngestHTTP(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			base, logs := startServer(t, target.URL, "--inbound-bearer", "accepted")
			token := adminBearer(t, target.URL, base)
			long := twoHourTranscript("Boooply-H-long")
			t.Logf("two-hour transcript: %d bytes (limit %d)", len(long), defaultMaxBodyBytes)
			if status, ans := postRaw(t, base+"/webhooks/boooply", long, map[string]string{"X-Boooply-Signature": hmacHex(long),
				"Authorization": "Bearer " + testSecret}); status != 200 || !strings.Contains(ans, "accepted") {
				t.Fatalf("two-hour transcript: %d %s", status, ans)
			}
			// Text the columns beside the body can't hold (a NUL, invalid
			// UTF-8) in a genuine event's candidate name or recording link is
			// left out of those columns; the event is stored as sent, never a
			// 503 that Boooply would retry for ever.
			db := testdb.Open(t, target.URL)
			for i, odd := range []string{`"candidateName":"Ja\u0000ne"`, "\"candidateName\":\"Zo\xffë\"", `"videoApiUrl":"https://api.boooply.com/v\u0000"`} {
				code := fmt.Sprintf("Boooply-odd-%d", i)
				body := []byte(`{"event":"interview.recording","data":{"meetingCode":"` + code + `","sourceId":"org_x",` + odd + `}}`)
				if status, ans := postRaw(t, base+"/webhooks/boooply", body, map[string]string{"X-Boooply-Signature": hmacHex(body)}); status != 200 || !strings.Contains(ans, "accepted") {
					t.Fatalf("%s: %d %s, want it accepted", odd, status, ans)
				}
				var stored []byte
				if err := db.Gorm.Raw("SELECT body FROM events WHERE meeting_code = ?", code).Row().Scan(&stored); err != nil || !bytes.Equal(stored, body) {
					t.Fatalf("%s: stored %q (%v), want the body byte for byte", odd, stored, err)
				}
			}
			if status, ans := postOversized(t, base, defaultMaxBodyBytes+1); status != 413 || !strings.Contains(ans, "payload_too_large") {
				t.Fatalf("over the limit: %d %s, want a JSON 413", status, ans)
			}
			if status, _ := postRaw(t, base+"/webhooks/boooply", long, map[string]string{"X-Boooply-Signature": hmacHex(long), "Authorization": "Bearer whsec_leaked_guess"}); status != 401 {
				t.Fatalf("wrong bearer: %d, want 401", status)
			}

			status, ans := postRaw(t, base+"/api/v1/sources", []byte(`{"name":"TalentFlow","platform":"talentflow","secret":"whsec_platform_two_secret"}`),
				map[string]string{"Authorization": "Bearer " + token})
			if status != 201 || !strings.Contains(ans, `"secret":"whsec_platform_two_secret"`) {
				t.Fatalf("create source: %d %s", status, ans)
			}
			ev := []byte(`{"event":"interview.scores","data":{"meetingCode":"via-platform","sourceId":null}}`)
			sig := signWith("whsec_platform_two_secret", ev)
			if status, ans := postRaw(t, base+"/webhooks/boooply", ev, map[string]string{"X-Boooply-Signature": sig, "X-Boooply-Platform": "talentflow"}); status != 200 {
				t.Fatalf("source secret with its platform: %d %s", status, ans)
			}
			if out := runCLI(t, "sources", "list", "--database-url", target.URL, "--secret-key", testKey); !strings.Contains(out, "talentflow") || strings.Contains(out, "whsec_platform_two_secret") {
				t.Errorf("sources list:\n%s", out)
			}

			resp, err := http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{`switchboard_ingest_requests_total{outcome="accepted"}`, `switchboard_ingest_requests_total{outcome="bad_bearer"}`, `switchboard_ingest_duration_seconds_bucket`} {
				if !bytes.Contains(metrics, []byte(want)) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
			for _, secret := range []string{testSecret, "whsec_leaked_guess", "whsec_platform_two_secret"} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("the log contains the secret %q", secret)
				}
			}
		})
	}
}

// postOversized announces a body of n bytes and reads the answer without
// sending it: the server refuses on Content-Length, and a client still
// writing would only see the connection reset.
func postOversized(t *testing.T, base string, n int) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /webhooks/boooply HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", n)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func signWith(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// TestRecordingLinkHTTP follows a stable recording link on the real server:
// /r/<token> answers 302 to the URL a loopback stand-in for Boooply's API
// minted with the tenant's organization key.
func TestRecordingLinkHTTP(t *testing.T) {
	target := testdb.Targets(t)[0]
	boooply := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer bply_org_e2e" || r.URL.Path != "/api/integration/interviews/Boooply-AI-1234567890/recording" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"downloadUrl":"https://s3.example/fresh.mp4"}`)
	}))
	defer boooply.Close()
	recv := newReceiver(t, nil)
	base, _ := startServer(t, target.URL, "--public-url", "https://sb.example", "--boooply-api-base", boooply.URL, "--retry-schedule", "20ms")
	id := strings.TrimSpace(runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints",
		"--name", "Acme", "--source-id", "org_7234567890", "--endpoint", recv.URL+"/ats"))
	dir := t.TempDir()
	keyFile, mapping := filepath.Join(dir, "key"), filepath.Join(dir, "m.json")
	os.WriteFile(keyFile, []byte("bply_org_e2e"), 0o600)
	os.WriteFile(mapping, []byte(`{"mode":"rules","rules":[{"target":"interview","from":"data.meetingCode"},{"target":"recording","from":"meta.recording_link"}]}`), 0o600)
	runCLI(t, "tenants", "update", "--database-url", target.URL, "--secret-key", testKey, "--tenant", id, "--boooply-api-key-file", keyFile)
	runCLI(t, "mapping", "set", "--database-url", target.URL, "--tenant", id, "--endpoint", "1", "--file", mapping)

	rec, _ := webhooks.Sample("interview.recording")
	if status, ans := post(t, base, rec, hmacHex(rec)); status != 200 {
		t.Fatalf("recording: %d %v", status, ans)
	}
	// The tenant's ATS receives Switchboard's stable link through its mapping.
	waitFor(t, "the mapped recording delivery", func() bool { return len(recv.bodies("/ats")) == 1 })
	var got struct{ Interview, Recording string }
	if err := json.Unmarshal(recv.bodies("/ats")[0], &got); err != nil || got.Interview != "Boooply-AI-1234567890" || !strings.HasPrefix(got.Recording, "https://sb.example/r/") {
		t.Fatalf("delivered %s (%v), want the stable link", recv.bodies("/ats")[0], err)
	}
	link := got.Recording
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(base + strings.TrimPrefix(link, "https://sb.example"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://s3.example/fresh.mp4" {
		t.Fatalf("follow: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestContentEncodingRefused: the real server answers 415 to a compressed
// body on every route before reading it. The API's text guard read c.Body()
// ahead of sign-in, and Fiber inflates gzip there without a bound: a
// compressed sign-in was even accepted.
func TestContentEncodingRefused(t *testing.T) {
	target := testdb.Targets(t)[0]
	base, _ := startServer(t, target.URL)
	adminBearer(t, target.URL, base) // creates the e2e admin
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write([]byte(`{"email":"e2e-admin@example.com","password":"e2e admin password"}`))
	_ = w.Close()
	for _, path := range []string{"/api/v1/auth/token", "/webhooks/boooply"} {
		status, ans := postRaw(t, base+path, gz.Bytes(), map[string]string{"Content-Encoding": "gzip"})
		if status != 415 || !strings.Contains(ans, "content encoding") {
			t.Errorf("%s with a gzip body: %d %s, want 415 naming the content encoding", path, status, ans)
		}
	}
}
