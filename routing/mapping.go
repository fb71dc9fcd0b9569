package routing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchboard-gw/switchboard/problem"
)

// Mode is how a mapping shapes payloads.
type Mode string

// The mapping modes.
const (
	// ModePassthrough forwards the inbound body byte for byte.
	ModePassthrough Mode = "passthrough"
	// ModeRules builds the output from ordered rules (RuleSet).
	ModeRules Mode = "rules"
	// ModeJQ runs a jq program whose single output must be an object.
	ModeJQ Mode = "jq"
)

// Mapping is an endpoint's payload transformation, stored as JSON text in
// mapping_versions.spec:
//
//	{"mode":"passthrough"}
//	{"mode":"jq","program":"{name: .data.candidateName}"}
//	{"mode":"rules","keep_unmapped":false,"rules":[…]}
//	{"mode":"rules","by_event":{"interview.evaluation":{"rules":[…]},"*":{"keep_unmapped":true}}}
//
// In rules mode, ByEvent[event type] is used first, then ByEvent["*"], then
// the top-level rule set; an event type with none of them passes through.
type Mapping struct {
	Mode    Mode               `json:"mode"`
	Program string             `json:"program,omitempty"`
	RuleSet                    // top-level rules (rules mode)
	ByEvent map[string]RuleSet `json:"by_event,omitempty"`
}

// RuleSet is an ordered list of rules. KeepUnmapped starts the output from
// a copy of the whole inbound body (rules then overwrite or add fields);
// otherwise the output holds only the rules' targets.
type RuleSet struct {
	KeepUnmapped bool   `json:"keep_unmapped,omitempty"`
	Rules        []Rule `json:"rules,omitempty"`
}

// Rule sets Target from exactly one source: From (a path into the event),
// Value (a JSON constant) or Template (text with {{path}} placeholders),
// then applies Ops in order. A missing value leaves Target out of the
// output, unless Required, which makes it a render error.
type Rule struct {
	Target   string          `json:"target"`
	From     string          `json:"from,omitempty"`
	Value    json.RawMessage `json:"value,omitempty"`
	Template string          `json:"template,omitempty"`
	Ops      []OpCall        `json:"ops,omitempty"`
	Required bool            `json:"required,omitempty"`
}

// OpCall is one operation with its arguments. In JSON it is an object
// {"op":"scale","args":["1","5","0","100"]} or, without arguments, a string.
type OpCall struct {
	Op   string   `json:"op"`
	Args []string `json:"args,omitempty"`
}

// UnmarshalJSON accepts "upper" as well as {"op":"upper"}.
func (o *OpCall) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*o = OpCall{Op: s}
		return nil
	}
	type plain OpCall
	return json.Unmarshal(b, (*plain)(o))
}

// Limits on what a mapping may hold.
const (
	maxRules       = 500
	maxProgramLen  = 64 << 10
	maxSpecBytes   = 512 << 10
	maxOutputBytes = 4 << 20
)

// ParseMapping decodes and validates a mapping. Errors are a
// problem.Invalid with one detail per problem, each naming the field
// (rules[3].ops[0]) and the reason.
func ParseMapping(b []byte) (*Mapping, error) {
	if len(b) > maxSpecBytes {
		return nil, problem.Invalid("mapping", fmt.Sprintf("is larger than %d bytes", maxSpecBytes))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		return nil, problem.Invalid("mapping", "is not a valid mapping: "+strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := checkForSave(&m); err != nil {
		return nil, err
	}
	return &m, nil
}

// checkForSave runs Compile and checkSources and reports the problems of
// both in one problem.Invalid, so a refused save names every problem at
// once instead of hiding the source paths until the rules compile.
func checkForSave(m *Mapping) error {
	var v invalid
	_, compileErr := Compile(m)
	for _, err := range []error{compileErr, checkSources(m)} {
		if err == nil {
			continue
		}
		p, ok := problem.As(err)
		if !ok || p.Code != problem.CodeInvalid || len(p.Details) == 0 {
			return err
		}
		v.details = append(v.details, p.Details...)
	}
	return v.err()
}

// JSON returns the mapping's canonical JSON text (what is stored).
func (m *Mapping) JSON() []byte {
	b, _ := json.Marshal(m) // plain structs always marshal
	return b
}

// invalid collects validation details.
type invalid struct{ details []problem.Detail }

func (v *invalid) add(field, format string, args ...any) {
	v.details = append(v.details, problem.Detail{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (v *invalid) err() error {
	if len(v.details) == 0 {
		return nil
	}
	d := v.details[0]
	msg := d.Field + ": " + d.Reason
	if len(v.details) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(v.details)-1)
	}
	return &problem.Error{Code: problem.CodeInvalid, Message: "invalid mapping: " + msg, Details: v.details}
}

// Compile validates m and prepares it for rendering. Errors are
// problem.Invalid with precise details.
func Compile(m *Mapping) (*Compiled, error) {
	var v invalid
	c := &Compiled{mode: m.Mode}
	switch m.Mode {
	case ModePassthrough:
		if m.Program != "" || len(m.Rules) > 0 || len(m.ByEvent) > 0 || m.KeepUnmapped {
			v.add("mode", "passthrough takes no program or rules")
		}
	case ModeJQ:
		if len(m.Rules) > 0 || len(m.ByEvent) > 0 {
			v.add("mode", "jq mode takes a program, not rules")
		}
		c.jq = compileJQ(m.Program, &v)
	case ModeRules:
		if m.Program != "" {
			v.add("program", "rules mode takes rules, not a program")
		}
		c.top = compileRuleSet("", m.RuleSet, &v)
		c.byEvent = map[string]*compiledSet{}
		for _, ev := range sortedKeys(m.ByEvent) {
			if strings.TrimSpace(ev) == "" {
				v.add("by_event", "has an empty event type")
			}
			c.byEvent[ev] = compileRuleSet("by_event."+ev+".", m.ByEvent[ev], &v)
		}
	default:
		v.add("mode", "must be passthrough, rules or jq, not %q", m.Mode)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return c, nil
}
