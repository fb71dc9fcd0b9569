package routing

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/switchboard-gw/switchboard/tenants"
)

// Compiled is a validated mapping ready to render events. It is safe for
// concurrent use and is cached per mapping version.
type Compiled struct {
	mode    Mode
	jq      *compiledJQ
	top     *compiledSet
	byEvent map[string]*compiledSet
}

// UsesCorrelation reports whether rendering reads the correlation record.
func (c *Compiled) UsesCorrelation() bool {
	switch c.mode {
	case ModeJQ:
		return c.jq.usesCorrelation
	case ModeRules:
		if c.top.usesCorrelation() {
			return true
		}
		for _, cs := range c.byEvent {
			if cs.usesCorrelation() {
				return true
			}
		}
	}
	return false
}

// setFor picks the rule set for an event type: by_event[type], then
// by_event["*"], then the top level; nil means pass the body through.
func (c *Compiled) setFor(eventType string) *compiledSet {
	if cs, ok := c.byEvent[eventType]; ok {
		return cs
	}
	if cs, ok := c.byEvent["*"]; ok {
		return cs
	}
	if c.top != nil && (len(c.top.rules) > 0 || c.top.keepUnmapped) {
		return c.top
	}
	return nil
}

// Apply maps in.Body. corr is the meetingCode's correlation record (nil
// when there is none). Errors are *RuleError, *CorrelationMissingError or a
// plain error naming the jq failure; none is a panic, whatever the input.
func (c *Compiled) Apply(ctx context.Context, in RenderInput, corr map[string]string) ([]byte, error) {
	switch c.mode {
	case ModeJQ:
		return c.jq.run(ctx, in.Body, corr, metaObject(in))
	case ModeRules:
		cs := c.setFor(in.EventType)
		if cs == nil {
			return in.Body, nil
		}
		body, err := decodeOrdered(in.Body)
		if err != nil {
			return nil, fmt.Errorf("event body is not JSON: %w", err)
		}
		e := &env{body: body, meta: metaObject(in), meetingCode: in.MeetingCode}
		if corr != nil {
			e.correlation = newObject()
			for _, k := range sortedKeys(corr) {
				e.correlation.set(k, corr[k])
			}
		}
		out, err := cs.apply(e)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := encodeOrdered(&buf, out); err != nil {
			return nil, err
		}
		if buf.Len() > maxOutputBytes {
			return nil, fmt.Errorf("mapped output is larger than %d bytes", maxOutputBytes)
		}
		return buf.Bytes(), nil
	}
	return in.Body, nil
}

// CorrelationMissingError is a render that needs a correlation value the
// vendor has not written yet. The record may arrive after the event, so a
// delivery failing with it is worth retrying (see IsCorrelationMissing).
type CorrelationMissingError struct {
	Key         string
	MeetingCode string
}

func (e *CorrelationMissingError) Error() string {
	return fmt.Sprintf("correlation %s missing for meetingCode %s", e.Key, e.MeetingCode)
}

// URL templates: an endpoint URL may hold {{path}} placeholders in its path
// and query (never its scheme or host), filled like rule templates
// (correlation.candidate_id, data.meetingCode, meta.tenant_id), each value
// URL-escaped. A placeholder without a value is an error, never a request
// to a half-built URL.

// HasURLTemplate reports whether raw holds placeholders.
func HasURLTemplate(raw string) bool { return strings.Contains(raw, "{{") }

// CheckURLTemplate validates an endpoint URL template's syntax and where its
// placeholders sit; URLTemplates adds what they name, when an endpoint is saved.
//
// A URL starting with tenants.BullhornRestURL is relative to the restUrl
// of a Bullhorn session, which only the delivery worker knows: the prefix
// stays as it is and placeholders may follow it anywhere.
func CheckURLTemplate(raw string) error {
	if rest, ok := strings.CutPrefix(raw, tenants.BullhornRestURL); ok {
		if strings.Contains(rest, tenants.BullhornRestURL) {
			return fmt.Errorf("%s may only start the URL", tenants.BullhornRestURL)
		}
		_, err := parseTemplate(rest)
		return err
	}
	parts, err := parseTemplate(raw)
	if err != nil {
		return err
	}
	if len(parts) < 2 {
		return nil
	}
	if parts[0].path != nil {
		return fmt.Errorf("the URL must start with a scheme and host, not a placeholder")
	}
	_, rest, ok := strings.Cut(parts[0].lit, "://")
	if !ok || !strings.ContainsAny(rest, "/?") {
		return fmt.Errorf("placeholders may only appear in the URL's path or query, after the host")
	}
	return nil
}

// renderURL fills raw's placeholders; query placeholders are escaped as
// query values, path ones as path segments.
func renderURL(raw string, e *env) (string, error) {
	if !HasURLTemplate(raw) {
		return raw, nil
	}
	if err := CheckURLTemplate(raw); err != nil {
		return "", fmt.Errorf("endpoint URL: %w", err)
	}
	var b strings.Builder
	if rest, ok := strings.CutPrefix(raw, tenants.BullhornRestURL); ok {
		b.WriteString(tenants.BullhornRestURL) // the worker puts the session's restUrl here
		raw = rest
	}
	parts, _ := parseTemplate(raw)
	inQuery := false
	for _, p := range parts {
		if p.path == nil {
			b.WriteString(p.lit)
			inQuery = inQuery || strings.Contains(p.lit, "?")
			continue
		}
		v := e.resolve(p.path)
		if isEmpty(v) {
			if p.path.root() == rootCorrelation {
				return "", &CorrelationMissingError{Key: p.path[1:].String(), MeetingCode: e.meetingCode}
			}
			return "", fmt.Errorf("endpoint URL: {{%s}} has no value in this event", p.path)
		}
		switch t := text(v); {
		case inQuery:
			b.WriteString(url.QueryEscape(t))
		case t == "." || t == "..":
			// PathEscape keeps dots, and a receiver resolving the path
			// would send the request (with the endpoint's credentials) to
			// another path of its host.
			return "", fmt.Errorf("endpoint URL: {{%s}} is %q, which would step out of the path it is placed in", p.path, t)
		default:
			b.WriteString(url.PathEscape(t))
		}
	}
	return b.String(), nil
}
