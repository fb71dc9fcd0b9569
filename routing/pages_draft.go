package routing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchboard-gw/switchboard/views"
)

// spec is the mapping JSON the draft stands for: the JSON text as typed in
// json mode (ParseMapping reports its errors), else the form's mapping.
func (d draft) spec() []byte {
	if d.Mode == "json" {
		return []byte(d.JSON)
	}
	return d.mapping().JSON()
}

// prettyJSON indents a mapping for the JSON textarea.
func prettyJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

// draftOf shows a saved mapping in the editor. The rule table shows the
// top-level rules, each with its operations; a mapping the table can't hold
// without loss (per-event-type rule sets, required rules, arguments with
// the table's separators) opens as JSON, so saving never drops anything.
func draftOf(m *Mapping) draft {
	d := draft{Sample: "evaluation", JSON: prettyJSON(m.JSON())}
	switch m.Mode {
	case ModeJQ:
		d.Mode, d.Expression = "expression", m.Program
		return d
	case ModePassthrough:
		d.Mode = "passthrough"
		return d
	}
	if why := tableCantShow(m); why != "" {
		d.Mode, d.Note = "json", "This mapping "+why+", which the rule table can't show: it is open as JSON so saving keeps all of it."
		return d
	}
	d.Mode, d.KeepUnmapped = "rules", m.KeepUnmapped
	for _, r := range m.Rules {
		v := views.Rule{Target: r.Target, Source: r.From}
		switch {
		case len(r.Value) > 0:
			v.Source = "=" + string(r.Value)
		case r.Template != "":
			v.Source = r.Template
		}
		if len(r.Ops) > 0 {
			v.Op, v.Args = r.Ops[0].Op, strings.Join(r.Ops[0].Args, ", ")
			v.More = formatOps(r.Ops[1:])
		}
		d.Rules = append(d.Rules, v)
	}
	return d
}

// tableCantShow says what of m the rule table would lose ("" if nothing).
func tableCantShow(m *Mapping) string {
	if len(m.ByEvent) > 0 {
		return "has per-event-type rule sets (by_event)"
	}
	for i, r := range m.Rules {
		if r.Required {
			return fmt.Sprintf("has a required rule (#%d)", i+1)
		}
		if len(r.Value) > 0 && r.Template != "" || r.From != "" && (len(r.Value) > 0 || r.Template != "") {
			return fmt.Sprintf("has a rule with two sources (#%d)", i+1)
		}
		for _, op := range r.Ops {
			for _, a := range op.Args {
				if strings.ContainsAny(a, ",|()") || a != strings.TrimSpace(a) || a == "" {
					return fmt.Sprintf("has operation arguments with , | ( ) or spaces at the ends (rule #%d)", i+1)
				}
			}
		}
	}
	return ""
}

// formatOps writes operations as the table's "More operations" text:
// "trim | default(n/a) | truncate(40, …)".
func formatOps(ops []OpCall) string {
	parts := make([]string, len(ops))
	for i, o := range ops {
		parts[i] = o.Op
		if len(o.Args) > 0 {
			parts[i] += "(" + strings.Join(o.Args, ", ") + ")"
		}
	}
	return strings.Join(parts, " | ")
}

// parseOps reads formatOps' text. Anything malformed becomes an op name
// that Compile rejects, so the admin sees the error instead of a silent drop.
func parseOps(text string) []OpCall {
	var out []OpCall
	for _, part := range strings.Split(text, "|") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, rest, hasArgs := strings.Cut(part, "(")
		call := OpCall{Op: strings.TrimSpace(name)}
		if hasArgs {
			inner, ok := strings.CutSuffix(strings.TrimSpace(rest), ")")
			if !ok {
				out = append(out, OpCall{Op: part})
				continue
			}
			for _, a := range strings.Split(inner, ",") {
				if a = strings.TrimSpace(a); a != "" {
					call.Args = append(call.Args, a)
				}
			}
		}
		out = append(out, call)
	}
	return out
}

// presetNotes lists what a preset expects of the endpoint beyond its mapping.
func presetNotes(p Preset) []string {
	var out []string
	if len(p.Subscriptions) > 0 {
		out = append(out, "Event types: "+strings.Join(p.Subscriptions, ", "))
	}
	if p.Method != "" {
		out = append(out, "HTTP method: "+p.Method)
	}
	if p.URL != "" {
		out = append(out, "URL: "+p.URL)
	}
	if p.Auth != "" {
		out = append(out, "Authentication: "+p.Auth)
	}
	for k := range p.Headers {
		out = append(out, "Header: "+k)
	}
	return out
}
