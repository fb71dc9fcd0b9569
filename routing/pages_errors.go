package routing

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

// ruleField matches the fields mapping errors name: rules[2], rules[2].target,
// rules[2].ops[1].
var ruleField = regexp.MustCompile(`^rules\[(\d+)\](?:\.([a-z_]+)(?:\[(\d+)\])?)?$`)

// blank rows of the rule table are left out of the mapping.
func blank(r views.Rule) bool { return r.Target == "" && r.Source == "" }

// ruleRows is the table row (from 0) of each rule of d.mapping().
func (d draft) ruleRows() []int {
	var rows []int
	for i, r := range d.Rules {
		if !blank(r) {
			rows = append(rows, i)
		}
	}
	return rows
}

// tableField names a mapping field as the rule table shows it: in rules
// mode rules[2].ops[0] is "rule 3, operation 1", counted from the table's
// row numbers (blank rows included). row is the table row (-1: none) and
// part the row's control at fault: "target", "source", "args", "more" or "".
func (d draft) tableField(field string) (label string, row int, part string) {
	m := ruleField.FindStringSubmatch(field)
	if d.Mode != "rules" || m == nil {
		return field, -1, ""
	}
	rows := d.ruleRows()
	i, _ := strconv.Atoi(m[1])
	if i >= len(rows) {
		return field, -1, ""
	}
	row = rows[i]
	label = "rule " + strconv.Itoa(row+1)
	switch m[2] {
	case "":
		if d.Rules[row].Source == "" {
			part = "source"
		}
	case "target":
		label, part = label+", target field", "target"
	case "from", "value", "template":
		label, part = label+", source path", "source"
	case "args":
		label, part = label+", arguments", "args"
	case "ops":
		j, _ := strconv.Atoi(m[3])
		label, part = fmt.Sprintf("%s, operation %d", label, j+1), "more"
		if j == 0 && d.Rules[row].Op != "" {
			part = "args"
		}
	default:
		label += ", " + m[2]
	}
	return label, row, part
}

// name turns mapping error details into the editor's messages.
func (d draft) name(details []problem.Detail) []views.MappingError {
	out := make([]views.MappingError, 0, len(details))
	for _, det := range details {
		label, row, part := d.tableField(det.Field)
		out = append(out, views.MappingError{Field: label, Reason: det.Reason, Rule: row + 1, Part: part})
	}
	return out
}

// explain turns a failed save into the editor's messages; ok is false for
// an error the form can't show (it goes to the error handler).
func (d draft) explain(err error) (errs []views.MappingError, ok bool) {
	p, isProblem := problem.As(err)
	if !isProblem {
		return nil, false
	}
	switch p.Code {
	case problem.CodeInvalid, problem.CodeBadRequest, problem.CodeConflict:
	default:
		return nil, false
	}
	if len(p.Details) == 0 {
		return []views.MappingError{{Reason: p.Message}}, true
	}
	return d.name(p.Details), true
}

// markRows returns a copy of rules with each row's first error set, so the
// table marks the rows at fault.
func markRows(rules []views.Rule, errs []views.MappingError) []views.Rule {
	out := append([]views.Rule(nil), rules...)
	for _, e := range errs {
		if i := e.Rule - 1; i >= 0 && i < len(out) && out[i].Error == "" {
			out[i].Error, out[i].ErrorPart = e.Reason, e.Part
		}
	}
	return out
}
