package routing

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Roots a source path may start with besides the event's own top-level
// keys (event, data): correlation.* (the tenant's correlation record for
// the meetingCode) and meta.* (tenant_id, endpoint_id, event_type, recording_link,
// video_url_expires_at, meeting_code, revision).
const (
	rootCorrelation = "correlation"
	rootMeta        = "meta"
)

// metaKeys are the names under meta.* (metaObject sets them).
var metaKeys = []string{"tenant_id", "endpoint_id", "event_type", "meeting_code", "revision", "recording_link", "video_url_expires_at"}

// sourceRootProblem explains why a source path can never have a value:
// every Boooply body is {"event", "data"}, so a path starting elsewhere
// (candidateName for data.candidateName, switchboard.recordingLink for
// meta.recording_link) would leave its target out of every delivery.
func sourceRootProblem(p path) string {
	switch root := p.root(); root {
	case "event", "data", rootCorrelation:
		return ""
	case rootMeta:
		if len(p) == 1 || (!p[1].isIdx && slices.Contains(metaKeys, p[1].key)) {
			return ""
		}
		return fmt.Sprintf("%s is not a meta value: meta.%s", p, strings.Join(metaKeys, ", meta."))
	default:
		guess := "data." + p.String()
		if last := p[len(p)-1]; !last.isIdx && last.key != "meetingCode" && slices.Contains(metaKeys, snakeCase(last.key)) {
			guess = "meta." + snakeCase(last.key) // switchboard.recordingLink, revision
		}
		return fmt.Sprintf("%s is not in any Boooply event: paths start with event, data., correlation. or meta. (did you mean %s?)", p, guess)
	}
}

// checkSources refuses, when a mapping is saved, source paths and
// template placeholders that no event can fill (sourceRootProblem). It is
// not part of Compile: versions stored before the check keep rendering.
func checkSources(m *Mapping) error {
	var v invalid
	check := func(prefix string, rs RuleSet) {
		for i, r := range rs.Rules {
			field := fmt.Sprintf("%srules[%d]", prefix, i)
			if p, err := parsePath(r.From, true); r.From != "" && err == nil {
				if msg := sourceRootProblem(p); msg != "" {
					v.add(field+".from", "%s", msg)
				}
			}
			parts, _ := parseTemplate(r.Template)
			for _, part := range parts {
				if part.path != nil {
					if msg := sourceRootProblem(part.path); msg != "" {
						v.add(field+".template", "{{%s}}: %s", part.path, msg)
					}
				}
			}
		}
	}
	check("", m.RuleSet)
	for _, ev := range sortedKeys(m.ByEvent) {
		check("by_event."+ev+".", m.ByEvent[ev])
	}
	return v.err()
}

// snakeCase turns recordingLink into recording_link.
func snakeCase(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

type compiledSet struct {
	keepUnmapped bool
	rules        []compiledRule
}

type compiledRule struct {
	index    int
	field    string // "rules[3]" for messages
	target   path
	from     path
	value    any
	hasValue bool
	tmpl     []tmplPart
	ops      []OpCall
	required bool
}

// tmplPart is literal text or a placeholder.
type tmplPart struct {
	lit  string
	path path
}

func compileRuleSet(prefix string, rs RuleSet, v *invalid) *compiledSet {
	if len(rs.Rules) > maxRules {
		v.add(prefix+"rules", "has %d rules; at most %d", len(rs.Rules), maxRules)
		return nil
	}
	cs := &compiledSet{keepUnmapped: rs.KeepUnmapped}
	for i, r := range rs.Rules {
		field := fmt.Sprintf("%srules[%d]", prefix, i)
		if cr, ok := compileRule(field, r, v); ok {
			cr.index = i
			cs.rules = append(cs.rules, cr)
		}
	}
	return cs
}

func compileRule(field string, r Rule, v *invalid) (compiledRule, bool) {
	before := len(v.details)
	cr := compiledRule{field: field, ops: r.Ops, required: r.Required}
	var err error
	if cr.target, err = parsePath(r.Target, false); err != nil {
		v.add(field+".target", "%s", err)
	} else if cr.target[0].isIdx {
		v.add(field+".target", "must start with a key")
	}
	sources := 0
	if r.From != "" {
		sources++
		if cr.from, err = parsePath(r.From, true); err != nil {
			v.add(field+".from", "%s", err)
		}
	}
	if len(r.Value) > 0 {
		sources++
		cr.hasValue = true
		if cr.value, err = decodeOrdered(r.Value); err != nil {
			v.add(field+".value", "is not JSON: %s", err)
		}
	}
	if r.Template != "" {
		sources++
		if cr.tmpl, err = parseTemplate(r.Template); err != nil {
			v.add(field+".template", "%s", err)
		}
	}
	if sources != 1 {
		v.add(field, "needs exactly one of from, value or template (has %d)", sources)
	}
	for j, o := range r.Ops {
		if err := checkOp(o.Op, o.Args); err != nil {
			v.add(fmt.Sprintf("%s.ops[%d]", field, j), "%s", err)
		}
	}
	return cr, len(v.details) == before
}

// parseTemplate splits "{{data.candidateName}} — {{data.recommendation}}".
func parseTemplate(s string) ([]tmplPart, error) {
	var out []tmplPart
	for s != "" {
		open := strings.Index(s, "{{")
		if open < 0 {
			out = append(out, tmplPart{lit: s})
			break
		}
		if open > 0 {
			out = append(out, tmplPart{lit: s[:open]})
		}
		end := strings.Index(s[open:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("unclosed {{ at byte %d", open)
		}
		p, err := parsePath(strings.TrimSpace(s[open+2:open+end]), true)
		if err != nil {
			return nil, fmt.Errorf("placeholder {{%s}}: %w", s[open+2:open+end], err)
		}
		out = append(out, tmplPart{path: p})
		s = s[open+end+2:]
	}
	return out, nil
}

// env is what one render reads: the event, its correlation record and meta.
type env struct {
	body        any // ordered
	correlation *object
	meta        *object
	meetingCode string
}

// resolve evaluates a source path against env.
func (e *env) resolve(p path) any {
	switch p.root() {
	case rootCorrelation:
		if e.correlation == nil {
			return missing
		}
		return lookup(e.correlation, p[1:])
	case rootMeta:
		return lookup(e.meta, p[1:])
	}
	return lookup(e.body, p)
}

// render fills a template; ok is false once the text passes
// maxOutputBytes (a template repeating {{data.transcript[*].text}} would
// otherwise build the transcript once per placeholder).
func (e *env) render(parts []tmplPart) (s string, ok bool) {
	var b strings.Builder
	for _, p := range parts {
		if p.path == nil {
			b.WriteString(p.lit)
		} else {
			b.WriteString(text(e.resolve(p.path)))
		}
		if b.Len() > maxOutputBytes {
			return "", false
		}
	}
	return b.String(), true
}

// RuleError says which rule failed on an event and why.
type RuleError struct {
	Field  string `json:"field"` // rules[3], by_event.interview.evaluation.rules[0]
	Target string `json:"target"`
	Reason string `json:"reason"`
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("%s (target %s): %s", e.Field, e.Target, e.Reason)
}

// applySet runs a rule set; the result is an ordered object.
func (cs *compiledSet) apply(e *env) (*object, error) {
	root := newObject()
	if cs.keepUnmapped {
		if o, ok := cloneTree(e.body).(*object); ok {
			root = o
		}
	}
	b := newBuilder(root)
	size := 0 // the rules' values so far, at least as their JSON is long
	for _, r := range cs.rules {
		v, err := r.eval(e)
		if err != nil {
			return nil, err
		}
		if v == missing {
			continue
		}
		// Each rule copies its value: 500 rules copying a 10 MiB transcript
		// would build gigabytes before the output's size is checked.
		if size += jsonSizeAtLeast(v, maxOutputBytes-size); size > maxOutputBytes {
			return nil, &RuleError{Field: r.field, Target: r.target.String(), Reason: fmt.Sprintf("the mapped output is larger than %d bytes", maxOutputBytes)}
		}
		if err := b.assign(r.target, cloneTree(v)); err != nil {
			return nil, &RuleError{Field: r.field, Target: r.target.String(), Reason: err.Error()}
		}
	}
	unwrapTree(root)
	return root, nil
}

func (r *compiledRule) eval(e *env) (any, error) {
	var v any
	switch {
	case r.from != nil:
		v = e.resolve(r.from)
	case r.hasValue:
		v = r.value
	default:
		s, ok := e.render(r.tmpl)
		if !ok {
			return nil, &RuleError{Field: r.field, Target: r.target.String(), Reason: fmt.Sprintf("template text is longer than %d bytes", maxOutputBytes)}
		}
		v = s
	}
	for j, o := range r.ops {
		var err error
		if v, err = apply(o.Op, o.Args, v); err != nil {
			return nil, &RuleError{Field: fmt.Sprintf("%s.ops[%d]", r.field, j), Target: r.target.String(), Reason: err.Error()}
		}
	}
	if v == missing && r.required {
		if r.from != nil && r.from.root() == rootCorrelation {
			return nil, &CorrelationMissingError{Key: r.from[1:].String(), MeetingCode: e.meetingCode}
		}
		return nil, &RuleError{Field: r.field, Target: r.target.String(), Reason: "required value " + r.source() + " is missing"}
	}
	return v, nil
}

// metaObject builds the meta.* root.
func metaObject(in RenderInput) *object {
	m := newObject()
	m.set("tenant_id", json.Number(fmt.Sprint(in.TenantID)))
	m.set("endpoint_id", json.Number(fmt.Sprint(in.EndpointID)))
	m.set("event_type", in.EventType)
	m.set("meeting_code", in.MeetingCode)
	m.set("revision", json.Number(fmt.Sprint(in.Revision)))
	if in.RecordingLink != "" {
		m.set("recording_link", in.RecordingLink)
	}
	if in.VideoURLExpiresAt != nil {
		m.set("video_url_expires_at", in.VideoURLExpiresAt.UTC().Format(time.RFC3339))
	}
	return m
}

// usesCorrelation reports whether any rule reads correlation.*.
func (cs *compiledSet) usesCorrelation() bool {
	if cs == nil {
		return false
	}
	for _, r := range cs.rules {
		if r.from.root() == rootCorrelation {
			return true
		}
		for _, p := range r.tmpl {
			if p.path.root() == rootCorrelation {
				return true
			}
		}
	}
	return false
}

// source names the rule's source for messages.
func (r *compiledRule) source() string {
	switch {
	case r.from != nil:
		return r.from.String()
	case r.hasValue:
		return "(constant)"
	}
	return "(template)"
}
