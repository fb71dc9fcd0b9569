package routing

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

// PageRoutes mounts the mapping editor under admin (the /admin group behind
// the gate). Saves and restores need PermEditConfig like the API; the live
// preview needs only PermRead (it changes nothing).
func PageRoutes(admin fiber.Router, h *Handler) {
	ep := "/tenants/:tenant/endpoints/:endpoint/mapping"
	admin.Get(ep, h.handleEditorPage)
	admin.Post(ep, h.handleEditorSave)
	admin.Post(ep+"/preview", h.handleEditorPreview)
	admin.Post(ep+"/preset", h.handleEditorPreset)
	admin.Post(ep+"/restore/:version", h.handleEditorRestore)
	admin.Get(ep+"/diff", h.handleEditorDiff)
}

// samples offered in the preview picker.
var previewSamples = []string{"evaluation", "transcript", "scores", "recording"}

func editorURL(tenantID, endpointID int64) string {
	return fmt.Sprintf("/admin/tenants/%d/endpoints/%d/mapping", tenantID, endpointID)
}

// draft is the editor's state: what the form holds.
type draft struct {
	Mode         string // "rules", "expression" or "passthrough"
	Rules        []views.Rule
	KeepUnmapped bool
	Expression   string
	Sample       string
}

// draftFromForm reads the editor form (rule rows are parallel lists).
func draftFromForm(c *fiber.Ctx) draft {
	args := c.Request().PostArgs()
	list := func(name string) []string {
		var out []string
		for _, v := range args.PeekMulti(name) {
			out = append(out, string(v))
		}
		return out
	}
	targets, sources, ops, opArgs := list("rule_target"), list("rule_source"), list("rule_op"), list("rule_args")
	d := draft{Mode: c.FormValue("mode", "rules"), Expression: c.FormValue("expression"), Sample: c.FormValue("sample", "evaluation"),
		KeepUnmapped: c.FormValue("keep_unmapped") == "true"}
	for i := range targets {
		r := views.Rule{Target: strings.TrimSpace(targets[i])}
		r.Source, r.Op, r.Args = at(sources, i), at(ops, i), at(opArgs, i)
		d.Rules = append(d.Rules, r)
	}
	return d
}

func at(s []string, i int) string {
	if i < len(s) {
		return strings.TrimSpace(s[i])
	}
	return ""
}

// mapping turns the draft into a Mapping. A rule's source is a path, a
// {{template}}, or =JSON for a constant; arguments are comma-separated.
func (d draft) mapping() *Mapping {
	switch d.Mode {
	case "expression":
		return &Mapping{Mode: ModeJQ, Program: d.Expression}
	case "passthrough":
		return &Mapping{Mode: ModePassthrough}
	}
	m := &Mapping{Mode: ModeRules, RuleSet: RuleSet{KeepUnmapped: d.KeepUnmapped}}
	for _, r := range d.Rules {
		if r.Target == "" && r.Source == "" {
			continue
		}
		rule := Rule{Target: r.Target}
		switch {
		case strings.HasPrefix(r.Source, "="):
			lit := strings.TrimPrefix(r.Source, "=")
			if !json.Valid([]byte(lit)) {
				lit = tmplJSON(lit)
			}
			rule.Value = json.RawMessage(lit)
		case strings.Contains(r.Source, "{{"):
			rule.Template = r.Source
		default:
			rule.From = r.Source
		}
		if r.Op != "" {
			call := OpCall{Op: r.Op}
			for _, a := range strings.Split(r.Args, ",") {
				if a = strings.TrimSpace(a); a != "" {
					call.Args = append(call.Args, a)
				}
			}
			rule.Ops = []OpCall{call}
		}
		m.Rules = append(m.Rules, rule)
	}
	return m
}

// draftOf shows a saved mapping in the editor. Only the top-level rule
// set and one operation per rule fit the table; the rest is listed as a
// rule error so nothing is dropped silently.
func draftOf(m *Mapping) draft {
	switch m.Mode {
	case ModeJQ:
		return draft{Mode: "expression", Expression: m.Program, Sample: "evaluation"}
	case ModePassthrough:
		return draft{Mode: "passthrough", Sample: "evaluation"}
	}
	d := draft{Mode: "rules", Sample: "evaluation", KeepUnmapped: m.KeepUnmapped}
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
		}
		if len(r.Ops) > 1 {
			v.Error = fmt.Sprintf("has %d more operations (edit them through the API); saving here keeps only the first", len(r.Ops)-1)
		}
		d.Rules = append(d.Rules, v)
	}
	if len(m.ByEvent) > 0 {
		d.Rules = append(d.Rules, views.Rule{Error: "this mapping also has per-event-type rules (by_event); saving here replaces them"})
	}
	return d
}

// preview renders the draft against the chosen sample.
func (h *Handler) preview(c *fiber.Ctx, d draft) views.MappingPreview {
	out := views.MappingPreview{Source: "the " + d.Sample + " sample"}
	req := previewRequest(d.Sample)
	if req.EventID != 0 {
		out.Source = "stored event #" + strings.TrimPrefix(d.Sample, "event:")
	}
	req.Mapping = d.mapping().JSON()
	res, err := Preview(c.UserContext(), req, h.samples, h.events, h.store.correlationOf, auth.Scope(c))
	if err != nil {
		if p, ok := problem.As(err); ok {
			out.Errors = []string{p.Message}
			return out
		}
		out.Errors = []string{"the preview failed"}
		return out
	}
	for _, e := range res.Errors {
		out.Errors = append(out.Errors, e.Field+": "+e.Reason)
	}
	if res.OK {
		var pretty json.RawMessage = res.Output
		if b, err := json.MarshalIndent(pretty, "", "  "); err == nil {
			out.Output = string(b)
		}
	}
	return out
}
