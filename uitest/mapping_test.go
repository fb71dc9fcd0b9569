package uitest

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserMappingRuleRows: rows added, moved and removed in the page are
// labelled with their number, and the empty-table hint shows only while the
// table has no rows.
func TestBrowserMappingRuleRows(t *testing.T) {
	b := New(t)
	base := previewServer(t)
	open(t, b, base+"/preview/mapping")
	hintShown := `!document.querySelector('[data-testid=rules-empty-hint]').hidden && document.querySelector('[data-testid=rules-empty-hint]').offsetParent !== null`
	if Eval[bool](t, b, hintShown) {
		t.Error("the empty-table hint shows next to three rules")
	}
	// Clicked through the DOM, one at a time: each click moves focus and
	// asks the live preview to re-render beside the table, and a mouse click
	// aimed before that layout shift could land beside the button (a
	// missing row in one run of three on a loaded machine).
	rows := `document.querySelectorAll('#mapping-form tbody tr').length`
	for _, n := range []string{"4", "5"} {
		b.Do(t, "add a rule", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-rule-action="add"][data-testid=rule-add]').click()`))
		b.WaitFor(t, n+" rules", rows+" === "+n)
	}
	b.Do(t, "move the first new rule up",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#mapping-form tbody tr:nth-child(4) [data-rule-action="up"]').click()`))
	labels := `[...document.querySelectorAll('#mapping-form tbody tr')].map((r, i) => [...r.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label')).join('|')).join('\n')`
	want := func(n string) string {
		return "Target field, rule " + n + "|Source path, rule " + n + "|Operation, rule " + n + "|Arguments, rule " + n +
			"|More operations, rule " + n + "|Move rule " + n + " up|Move rule " + n + " down|Remove rule " + n
	}
	got := Eval[string](t, b, labels)
	if wantAll := want("1") + "\n" + want("2") + "\n" + want("3") + "\n" + want("4") + "\n" + want("5"); got != wantAll {
		t.Errorf("labels after add and move:\n%s\nwant\n%s", got, wantAll)
	}
	if moved := Eval[string](t, b, `document.querySelector('#mapping-form tbody tr:nth-child(3) [name=rule_target]').value`); moved != "" {
		t.Errorf("row 3 holds %q, want the new rule moved up", moved)
	}
	b.Do(t, "remove every rule", chromedp.Evaluate[chromedp.Void](`for (const r of document.querySelectorAll('#mapping-form tbody tr')) r.querySelector('[data-rule-action=remove]').click()`))
	if !Eval[bool](t, b, hintShown) {
		t.Error("the empty-table hint is hidden on an empty table")
	}
	b.Do(t, "add one rule", chromedp.Click(chromedp.CSS(`[data-testid=rule-add]`)))
	if Eval[bool](t, b, hintShown) {
		t.Error("the empty-table hint still shows after adding a rule")
	}
	if got := Eval[string](t, b, labels); got != want("1") {
		t.Errorf("labels of the only rule: %s, want %s", got, want("1"))
	}
	b.Do(t, "pick scale", chromedp.SetValue(`#mapping-form tbody tr [name=rule_op]`, "scale"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#mapping-form tbody tr [name=rule_op]').dispatchEvent(new Event('change', {bubbles: true}))`))
	if ph := Eval[string](t, b, `document.querySelector('#mapping-form tbody tr [name=rule_args]').placeholder`); ph != "A B C D" {
		t.Errorf("arguments placeholder for scale = %q, want its usage A B C D", ph)
	}
	assertClean(t, b, "rule rows")
}

// TestBrowserMappingPreviewMarksRows: a row the live preview reports is
// marked (row class, aria-invalid on the control at fault, described by the
// preview's message); rows it no longer reports are unmarked.
func TestBrowserMappingPreviewMarksRows(t *testing.T) {
	b := New(t)
	base := previewServer(t)
	open(t, b, base+"/preview/mapping")
	if !Eval[bool](t, b, `document.querySelector('#mapping-form tbody tr:nth-child(3)').classList.contains('rule-invalid')`) {
		t.Fatal("the server did not mark row 3")
	}
	first := `#mapping-form tbody tr:first-child [name=rule_target]`
	b.Do(t, "clear rule 1's target", chromedp.Clear(chromedp.CSS(first)), chromedp.SendKeys(chromedp.CSS(first), " "),
		chromedp.SendKeys(chromedp.CSS(first), "\b"))
	b.WaitFor(t, "the preview to report rule 1", `!!document.querySelector('#mapping-preview li[data-rule="1"]')`)
	b.WaitFor(t, "rule 1 marked", `document.querySelector('#mapping-form tbody tr:first-child').classList.contains('rule-invalid')`)
	if got := Eval[string](t, b, `document.querySelector('`+first+`').getAttribute('aria-invalid') + ' ' + document.querySelector('`+first+`').getAttribute('aria-describedby')`); got != "true preview-error-1" {
		t.Errorf("rule 1 target: aria-invalid, aria-describedby = %q, want \"true preview-error-1\"", got)
	}
	if n := Eval[int](t, b, `document.querySelectorAll('#mapping-form .rule-invalid, #mapping-form [aria-invalid], #mapping-form [data-rule-error]').length`); n != 2 {
		t.Errorf("%d marks in the table, want 2 (row 1 and its target; row 3 is no longer reported)", n)
	}
	b.Do(t, "type the target back", chromedp.SendKeys(chromedp.CSS(first), "candidate.name"))
	b.WaitFor(t, "rule 1 unmarked", `!document.querySelector('#mapping-form tbody tr:first-child').classList.contains('rule-invalid') && !document.querySelector('`+first+`').hasAttribute('aria-invalid')`)
	assertClean(t, b, "preview marks")
}

// TestBrowserMappingDiffAndColumns: each diff line shows its marker once,
// and at 1280 px the rule table shows a target, map arguments and the
// placeholder of further operations without cutting them.
func TestBrowserMappingDiffAndColumns(t *testing.T) {
	b := New(t)
	base := previewServer(t)
	b.Do(t, "1280 px viewport", chromedp.EmulateViewport(1280, 900))
	open(t, b, base+"/preview/mapping")
	shown := Eval[string](t, b, `[...document.querySelectorAll('.diff div')].map(d => {
		const before = getComputedStyle(d, '::before').content;
		return (before === 'none' || before === 'normal' ? '' : JSON.parse(before)) + d.textContent;
	}).join('\n')`)
	want := `      "target": "decision",` + "\n" + `-     "from": "data.recommendation"` + "\n" + `+     "from": "data.recruiterSummary.quickDecision"`
	if shown != want {
		t.Errorf("diff as shown:\n%s\nwant\n%s", shown, want)
	}
	cut := Eval[string](t, b, `(() => {
		const cut = [];
		const check = (sel, text) => {
			const e = document.querySelector(sel);
			const keep = e.value;
			e.value = text;
			if (e.scrollWidth > e.clientWidth) cut.push(sel + ' (' + e.clientWidth + ' < ' + e.scrollWidth + ' px)');
			e.value = keep;
		};
		check('#mapping-form tbody tr:nth-child(1) [name=rule_target]', 'candidate.name');
		check('#mapping-form tbody tr:nth-child(2) [name=rule_args]', 'PASS=hire *=reject');
		const more = document.querySelector('#mapping-form tbody tr:nth-child(1) [name=rule_more]');
		check('#mapping-form tbody tr:nth-child(1) [name=rule_more]', more.placeholder);
		check('#mapping-form tbody tr:nth-child(1) [name=rule_source]', 'data.interviewerEvaluation.questionQuality.rating');
		return cut.join(', ');
	})()`)
	if cut != "" {
		t.Errorf("cut off at 1280 px: %s", cut)
	}
	if over := Eval[int](t, b, "document.documentElement.scrollWidth - window.innerWidth"); over > 0 {
		t.Errorf("the page is %d px wider than 1280 px", over)
	}
	b.Screenshot(t, "mapping-rules-1280")
	assertClean(t, b, "diff and columns")
}
