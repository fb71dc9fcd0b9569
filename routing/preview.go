package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/problem"
)

// SampleFunc returns the embedded Boooply sample of an event type
// (webhooks.Sample; main wires it, since routing must not import webhooks).
type SampleFunc func(eventType string) ([]byte, error)

// StoredEvent is what preview needs of a stored inbound event.
type StoredEvent struct {
	TenantID *int64
	// HeldFor is, for an unrouted event, the tenant owning its sourceId now
	// (nil: none): a caller limited to that tenant may preview it.
	HeldFor     *int64
	EventType   string
	MeetingCode string
	Revision    int
	Body        []byte
	// VideoURLExpiresAt is a recording's videoUrl expiry (nil otherwise).
	VideoURLExpiresAt *time.Time
}

// EventFunc loads a stored event by id, or returns problem.NotFound
// (main wires it over webhooks.Store.FindEvent).
type EventFunc func(ctx context.Context, id int64) (*StoredEvent, error)

// CorrelationFunc returns a tenant's correlation record for a meetingCode,
// nil when there is none.
type CorrelationFunc func(ctx context.Context, tenantID int64, meetingCode string) (map[string]string, error)

// PreviewRequest is a preview: a mapping and an input. The input is a
// sample ("evaluation" or "interview.evaluation") or a stored event;
// Correlation, when given, stands in for the tenant's record (a stored
// event otherwise uses its tenant's real record); URL is an endpoint URL
// template to fill.
type PreviewRequest struct {
	Mapping     json.RawMessage   `json:"mapping"`
	Sample      string            `json:"sample,omitempty"`
	EventID     int64             `json:"event_id,omitempty"`
	Correlation map[string]string `json:"correlation,omitempty"`
	URL         string            `json:"url,omitempty"`
}

// PreviewResult is the output of a preview, or the precise errors of the
// mapping (which rule, which field, why). Output is the mapped body as
// JSON (raw, so key order and number text are exactly what would be sent).
type PreviewResult struct {
	OK        bool             `json:"ok"`
	EventType string           `json:"event_type"`
	Output    json.RawMessage  `json:"output,omitempty"`
	URL       string           `json:"url,omitempty"`
	Errors    []problem.Detail `json:"errors,omitempty"`
}

// resolveInput returns the preview's RenderInput. canSee says whether the
// caller may read (nil: every tenant).
func resolveInput(ctx context.Context, req PreviewRequest, samples SampleFunc, events EventFunc, scope []int64) (RenderInput, error) {
	switch {
	case req.Sample != "" && req.EventID != 0:
		return RenderInput{}, problem.Invalid("sample", "give a sample or an event_id, not both")
	case req.Sample != "":
		et := req.Sample
		if !strings.Contains(et, ".") {
			et = "interview." + et
		}
		if samples == nil {
			return RenderInput{}, problem.Invalid("sample", "samples are not available")
		}
		b, err := samples(et)
		if err != nil {
			return RenderInput{}, problem.Invalid("sample", fmt.Sprintf("no sample %q (try transcript, evaluation, scores, recording)", req.Sample))
		}
		return RenderInput{EventType: et, MeetingCode: "Boooply-AI-1234567890", Revision: 1, Body: b}, nil
	case req.EventID > 0 && events != nil:
		ev, err := events(ctx, req.EventID)
		if err != nil {
			return RenderInput{}, err
		}
		// An unrouted event is seen by a scoped caller only when held for its tenant's sourceId.
		owner := ev.TenantID
		if owner == nil {
			owner = ev.HeldFor
		}
		if scope != nil && (owner == nil || !slices.Contains(scope, *owner)) {
			return RenderInput{}, problem.NotFound("event")
		}
		in := RenderInput{EventType: ev.EventType, MeetingCode: ev.MeetingCode, Revision: ev.Revision, Body: ev.Body,
			VideoURLExpiresAt: ev.VideoURLExpiresAt}
		if ev.TenantID != nil {
			in.TenantID = *ev.TenantID
		}
		return in, nil
	}
	return RenderInput{}, problem.Invalid("sample", "give a sample (transcript, evaluation, scores, recording) or an event_id")
}

// Preview validates the mapping and renders the input with it. A mapping
// that does not validate, or fails on this input, gives OK false and the
// errors; only a bad request (no input, unknown sample) is an error.
func Preview(ctx context.Context, req PreviewRequest, samples SampleFunc, events EventFunc, corrs CorrelationFunc, scope []int64) (*PreviewResult, error) {
	in, err := resolveInput(ctx, req, samples, events, scope)
	if err != nil {
		return nil, err
	}
	if req.Correlation == nil && in.TenantID != 0 && corrs != nil {
		if req.Correlation, err = corrs(ctx, in.TenantID, in.MeetingCode); err != nil {
			return nil, err
		}
	}
	res := &PreviewResult{EventType: in.EventType}
	if len(req.Mapping) == 0 {
		return nil, problem.Invalid("mapping", "is required")
	}
	m, err := ParseMapping(req.Mapping)
	if err != nil {
		return errorResult(res, err)
	}
	c, _ := Compile(m)
	url := req.URL
	if url == "" {
		url = "https://receiver.example/preview"
	} else if err := CheckURLTemplate(url); err != nil {
		return errorResult(res, problem.Invalid("url", err.Error()))
	}
	r, err := renderWith(ctx, c, url, in, req.Correlation, Rendered{})
	if err != nil {
		return errorResult(res, err)
	}
	res.OK, res.Output = true, r.Body
	if req.URL != "" {
		res.URL = r.URL
	}
	if !json.Valid(res.Output) {
		res.Output, _ = json.Marshal(string(r.Body)) // passthrough of a non-JSON body
	}
	return res, nil
}

// errorResult turns a mapping or render error into preview errors.
func errorResult(res *PreviewResult, err error) (*PreviewResult, error) {
	var re *RuleError
	var ce *CorrelationMissingError
	switch p, ok := problem.As(err); {
	case ok && p.Code == problem.CodeInvalid:
		res.Errors = p.Details
	case errors.As(err, &re):
		res.Errors = []problem.Detail{{Field: re.Field, Reason: fmt.Sprintf("target %s: %s", re.Target, re.Reason)}}
	case errors.As(err, &ce):
		res.Errors = []problem.Detail{{Field: "correlation." + ce.Key, Reason: ce.Error()}}
	case ok:
		return nil, err
	default:
		res.Errors = []problem.Detail{{Field: "mapping", Reason: err.Error()}}
	}
	return res, nil
}
