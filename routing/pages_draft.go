package routing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchboard-gw/switchboard/views"
)

// spec is the mapping JSON the draft stands for: the JSON text as typed in
// json mode (ParseMapping reports its errors), else the form's mapping;
// the error is mapping's (rule table text it can't read).
func (d draft) spec() ([]byte, error) {
	if d.Mode == "json" {
		return []byte(d.JSON), nil
	}
	m, err := d.mapping()
	return m.JSON(), err
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
// without loss (per-event-type rule sets, required rules) opens as JSON,
// so saving never drops anything.
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
			v.Op, v.Args = r.Ops[0].Op, formatArgs(r.Ops[0].Args)
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
		if strings.HasPrefix(r.Template, "=") {
			return fmt.Sprintf("has a template starting with = (#%d), which the table reads as a constant", i+1)
		}
	}
	return ""
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
