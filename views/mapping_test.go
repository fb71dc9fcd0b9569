package views_test

import (
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/views/fixtures"
)

// TestRuleTableMarkup: the empty-table hint shows only without rules, each
// row's controls are named after its number, and a refused row is marked
// at the control at fault, described by its message.
func TestRuleTableMarkup(t *testing.T) {
	admin := fixtures.Flags{CanEdit: true, CanRetry: true, CanManage: true}
	doc := render(t, admin)["mapping"]
	empty := render(t, fixtures.Flags{CanEdit: true, Empty: true})["mapping"]
	if !strings.Contains(doc, `data-testid="rules-empty-hint" data-rules-empty hidden>`) {
		t.Error("the empty-table hint shows next to three rules")
	}
	if !strings.Contains(empty, `data-testid="rules-empty-hint" data-rules-empty>`) {
		t.Error("the empty-table hint is hidden on an empty table")
	}
	for _, want := range []string{
		`aria-label="Target field, rule 2"`, `aria-label="Arguments, rule 2"`, `aria-label="More operations, rule 3"`,
		`aria-label="Move rule 1 up"`, `aria-label="Move rule 2 down"`, `aria-label="Remove rule 3"`,
		`data-rule-label="Move rule {n} up"`,
		// the arguments field shows the chosen operation's usage
		`value="PASS=advance FAIL=reject *=review" title="PASS=advance FAIL=reject *=review" placeholder="FROM=TO…"`,
		`<option value="scale" title="scale A B C D: rescale a number" data-args="A B C D" selected>`,
		// row 3 is refused at its arguments
		`<tr data-testid="rule-row" class="rule-invalid">`,
		`value="0 100 1" title="0 100 1" placeholder="A B C D" aria-invalid="true" aria-describedby="rule-3-error">`,
		`<span class="error" id="rule-3-error" data-rule-error data-testid="rule-error">scale takes 4 arguments, got 3 (0 100 1); usage: scale A B C D</span>`,
		`<li id="preview-error-1" data-rule="3" data-rule-part="args">rule 3, operation 1: scale takes 4 arguments`,
		`<code>scale A B C D</code>`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("mapping: missing %s", want)
		}
	}
	if n := strings.Count(doc, `aria-invalid="true"`); n != 1 {
		t.Errorf("%d controls marked invalid, want 1 (row 3's arguments)", n)
	}
	if strings.Contains(doc, "new rule") {
		t.Error(`a control is labelled "new rule"`)
	}
}
