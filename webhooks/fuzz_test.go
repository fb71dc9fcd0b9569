package webhooks

import (
	"errors"
	"testing"

	"github.com/switchboard-gw/switchboard/problem"
)

const fuzzSecret = "whsec_fuzz_secret"

// FuzzAdmit runs the handler's parse-and-verify path on arbitrary input:
// it must never panic, and every refusal must be a verification error (401)
// or a problem with a 4xx status: client input never causes a 5xx. When
// signed is true the signature is computed over body, so the fuzzer reaches
// the parser. Seed corpus: testdata/fuzz/FuzzAdmit.
func FuzzAdmit(f *testing.F) {
	for _, et := range EventTypes() {
		b, _ := Sample(et.Name)
		f.Add(b, "application/json", "", "", true)
	}
	f.Add([]byte(`{"event":"interview.scores","data":{"meetingCode":"m","sourceId":5}}`), "application/json", "Bearer x", "interview.scores", true)
	f.Add([]byte(`{"event":"x"}`), "text/plain", "", "", false)
	h := NewHandler(nil, NewKeys(nil, nil, []string{fuzzSecret}, discardLog()), BearerAccepted, discardLog())
	f.Fuzz(func(t *testing.T, body []byte, contentType, authorization, eventHeader string, signed bool) {
		sig := "00"
		if signed {
			sig = sign(fuzzSecret, body)
		}
		in, err := h.admit(request{ContentType: contentType, Signature: sig, Authorization: authorization, EventHeader: eventHeader, Body: body})
		if err == nil {
			if in.Event == "" || in.MeetingCode == "" || len(in.Fingerprint) != 64 {
				t.Fatalf("admitted without routing fields: %+v", in)
			}
			return
		}
		if p, ok := problem.As(err); ok {
			if s := problem.Status(p.Code); s < 400 || s > 499 {
				t.Fatalf("client input answered %d: %v", s, err)
			}
			return
		}
		for _, known := range []error{ErrMissingSignature, ErrBadSignature, ErrBadBearer, ErrMissingBearer, ErrUnknownSource} {
			if errors.Is(err, known) {
				return
			}
		}
		t.Fatalf("unexpected error class: %v", err)
	})
}
