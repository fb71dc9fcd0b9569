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

// samples offered in the preview picker: one per event type with a Boooply
// sample, incl. interviewer_evaluation (1-to-1 human interviews), which a
// by_event rule set may map.
var previewSamples = []string{"evaluation", "transcript", "scores", "recording", "interviewer_evaluation"}

func editorURL(tenantID, endpointID int64) string {
	return fmt.Sprintf("/admin/tenants/%d/endpoints/%d/mapping", tenantID, endpointID)
}

// draft is the editor's state: what the form holds.
type draft struct {
	Mode         string // "rules", "expression", "passthrough" or "json"
	Rules        []views.Rule
	KeepUnmapped bool
	Expression   string
	JSON         string // the whole mapping, in json mode
	Sample       string
	Note         string   // why the editor chose its mode
	PresetNote   []string // what a loaded preset expects of the endpoint
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
	targets, sources, ops, opArgs, more := list("rule_target"), list("rule_source"), list("rule_op"), list("rule_args"), list("rule_more")
	d := draft{Mode: c.FormValue("mode", "rules"), Expression: c.FormValue("expression"), Sample: c.FormValue("sample", "evaluation"),
		KeepUnmapped: c.FormValue("keep_unmapped") == "true", JSON: c.FormValue("mapping_json")}
	for i := range targets {
		r := views.Rule{Target: strings.TrimSpace(targets[i])}
		r.Source, r.Op, r.Args, r.More = at(sources, i), at(ops, i), at(opArgs, i), at(more, i)
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
// {{template}}, or =JSON for a constant; operations are written as their
// usage reads (notation.go). Text the table can't read (an unclosed quote,
// arguments without an operation) is an invalid error naming the field as
// Compile would (rules[2].ops[1]); the mapping then holds the rest.
func (d draft) mapping() (*Mapping, error) {
	switch d.Mode {
	case "expression":
		return &Mapping{Mode: ModeJQ, Program: d.Expression}, nil
	case "passthrough":
		return &Mapping{Mode: ModePassthrough}, nil
	}
	var v invalid
	m := &Mapping{Mode: ModeRules, RuleSet: RuleSet{KeepUnmapped: d.KeepUnmapped}}
	for _, r := range d.Rules {
		if blank(r) {
			continue
		}
		field := fmt.Sprintf("rules[%d]", len(m.Rules))
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
			args, err := splitArgs(r.Args)
			if err != nil {
				v.add(field+".ops[0]", "%s", err)
			}
			rule.Ops = []OpCall{{Op: r.Op, Args: args}}
		} else if r.Args != "" {
			v.add(field+".args", "copy takes no arguments: pick the operation they are for")
		}
		more, err := parseOps(r.More)
		if err != nil {
			v.add(fmt.Sprintf("%s.ops[%d]", field, len(rule.Ops)+opIndex(err)), "%s", err)
		}
		rule.Ops = append(rule.Ops, more...)
		m.Rules = append(m.Rules, rule)
	}
	return m, v.err()
}

// preview renders the draft against the chosen sample; its errors name
// the rule table's rows as shown.
func (h *Handler) preview(c *fiber.Ctx, d draft) views.MappingPreview {
	out := views.MappingPreview{Source: "the " + d.Sample + " sample"}
	req := previewRequest(d.Sample)
	if req.EventID != 0 {
		out.Source = "stored event #" + strings.TrimPrefix(d.Sample, "event:")
	}
	spec, err := d.spec()
	if err != nil {
		out.Errors, _ = d.explain(err)
		return out
	}
	req.Mapping = spec
	res, err := Preview(c.UserContext(), req, h.samples, h.events, h.store.correlationOf, auth.Scope(c))
	if err != nil {
		if p, ok := problem.As(err); ok {
			out.Errors = []views.MappingError{{Reason: p.Message}}
			return out
		}
		out.Errors = []views.MappingError{{Reason: "the preview failed"}}
		return out
	}
	out.Errors = d.name(res.Errors)
	if res.OK {
		var pretty json.RawMessage = res.Output
		if b, err := json.MarshalIndent(pretty, "", "  "); err == nil {
			out.Output = string(b)
		}
	}
	return out
}
