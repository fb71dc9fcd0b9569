package loadtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/sjson"

	"github.com/switchboard-gw/switchboard/webhooks"
)

// Fixed-width placeholders let each event be built by copying a template and
// overwriting digits in place: the generator must stay cheap, since it shares
// the machine's cores with the server it measures.
const (
	codeDigits   = 10
	sourceDigits = 6
	// LongTranscriptEntries is the size of the long transcript kind (about two hours of turns).
	LongTranscriptEntries = 200
)

// template is one event kind with the offsets of its variable fields.
type template struct {
	event      string
	body       []byte
	codeAt     int // offset of the meetingCode digits
	sourceAt   int // offset of the sourceId digits
	sourcePart string
}

// Generator builds signed, realistic events: Boooply's four samples and a
// long transcript, each with a unique meetingCode and a tenant's sourceId.
type Generator struct {
	runID     string
	secret    []byte
	templates []template
}

// SourceID is the sourceId of tenant i in run runID (fixed width).
func SourceID(runID string, i int) string {
	return fmt.Sprintf("lt-%s-%0*d", runID, sourceDigits, i)
}

// MeetingCode is the meetingCode of event seq in run runID (fixed width).
func MeetingCode(runID string, seq int64) string {
	return fmt.Sprintf("LT-%s-%0*d", runID, codeDigits, seq)
}

// NewGenerator prepares the templates. runID must be the same short id the
// tenants were created with.
func NewGenerator(runID, secret string) (*Generator, error) {
	g := &Generator{runID: runID, secret: []byte(secret)}
	kinds := []string{"interview.transcript", "interview.evaluation", "interview.scores", "interview.recording", "interview.transcript"}
	for i, name := range kinds {
		body, err := webhooks.Sample(name)
		if err != nil {
			return nil, err
		}
		if i == len(kinds)-1 {
			if body, err = longTranscript(body); err != nil {
				return nil, err
			}
		}
		t, err := newTemplate(name, body, runID)
		if err != nil {
			return nil, err
		}
		g.templates = append(g.templates, t)
	}
	return g, nil
}

func newTemplate(event string, body []byte, runID string) (template, error) {
	code, source := MeetingCode(runID, 0), SourceID(runID, 0)
	body, err := sjson.SetBytes(body, "data.meetingCode", code)
	if err == nil {
		body, err = sjson.SetBytes(body, "data.sourceId", source)
	}
	if err != nil {
		return template{}, fmt.Errorf("template %s: %w", event, err)
	}
	codeAt, sourceAt := bytes.Index(body, []byte(`"`+code+`"`)), bytes.Index(body, []byte(`"`+source+`"`))
	if codeAt < 0 || sourceAt < 0 {
		return template{}, fmt.Errorf("template %s: meetingCode or sourceId not found after setting them", event)
	}
	return template{event: event, body: body, codeAt: codeAt + 1 + len(code) - codeDigits,
		sourceAt: sourceAt + 1 + len(source) - sourceDigits}, nil
}

// longTranscript replaces the sample's transcript with LongTranscriptEntries
// turns of varied text, so storage figures aren't flattered by compression
// of one sentence repeated.
func longTranscript(body []byte) ([]byte, error) {
	turns := make([]map[string]any, LongTranscriptEntries)
	for i := range turns {
		speaker := "AI Interviewer"
		if i%2 == 1 {
			speaker = "Jane Doe"
		}
		turns[i] = map[string]any{"speaker": speaker, "text": sentence(uint64(i), 12+i%30), "startMs": 12400 + i*9000, "endMs": 20400 + i*9000}
	}
	body, err := sjson.SetBytes(body, "data.transcript", turns)
	if err == nil {
		body, err = sjson.SetBytes(body, "data.transcriptCount", LongTranscriptEntries)
	}
	return body, err
}

var words = strings.Fields(`react component state hook render team design system token accessible
library version release test coverage latency cache query index database migration rollback deploy
pipeline review mentor customer feedback metric incident postmortem budget roadmap priority tradeoff
refactor module interface contract schema queue retry backoff webhook payload signature tenant
endpoint throughput memory profile benchmark browser server client network protocol`)

// sentence returns n words chosen deterministically from seed.
func sentence(seed uint64, n int) string {
	out := make([]string, n)
	for i := range out {
		seed = splitmix(seed)
		out[i] = words[seed%uint64(len(words))]
	}
	return strings.Join(out, " ") + "."
}

// Event is one signed request ready to post.
type Event struct {
	Seq         int64
	Tenant      int
	Type        string
	MeetingCode string
	Body        []byte
	Signature   string
}

// Kinds is how many event kinds the generator cycles through.
func (g *Generator) Kinds() int { return len(g.templates) }

// Make builds event seq for tenant: kind seq%Kinds(), a unique meetingCode,
// signed with the generator's secret over the exact bytes.
func (g *Generator) Make(seq int64, tenant int) Event {
	t := &g.templates[seq%int64(len(g.templates))]
	body := append([]byte(nil), t.body...)
	putDigits(body[t.codeAt:t.codeAt+codeDigits], seq)
	putDigits(body[t.sourceAt:t.sourceAt+sourceDigits], int64(tenant))
	m := hmac.New(sha256.New, g.secret)
	m.Write(body)
	return Event{Seq: seq, Tenant: tenant, Type: t.event, MeetingCode: MeetingCode(g.runID, seq), Body: body, Signature: hex.EncodeToString(m.Sum(nil))}
}

// putDigits writes n zero-padded into dst (which has room for it).
func putDigits(dst []byte, n int64) {
	s := strconv.FormatInt(n, 10)
	for i := range dst {
		dst[i] = '0'
	}
	copy(dst[len(dst)-len(s):], s)
}
