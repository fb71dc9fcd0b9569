// Switchboard admin UI behaviour. Everything interactive lives here (never in
// inline scripts or on* attributes) so the Content-Security-Policy can forbid
// inline script. Each feature is optional: pages work without JavaScript.
(function () {
  "use strict";

  // Marks that app.js ran (CSS and tests can tell scripted pages apart).
  document.documentElement.setAttribute("data-js", "on");

  // CSRF: htmx requests carry the token from <meta name="csrf-token"> as a
  // header; plain form posts carry it in a hidden csrf_token field.
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      e.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });

  // A secret shown once answers a form post at the post's address. Put the
  // resource's own page in the address bar instead (data-replace-url), so a
  // reload is a harmless GET: it neither posts the form again (a second
  // endpoint, another rotation) nor shows the secret.
  var once = document.querySelector("[data-replace-url]");
  if (once && window.history && history.replaceState) {
    history.replaceState(null, "", once.getAttribute("data-replace-url"));
  }

  // Copy buttons: <button data-copy="element-id">.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (!btn) return;
    var src = document.getElementById(btn.getAttribute("data-copy"));
    if (!src) return;
    var text = src.textContent;
    var done = function () {
      var label = btn.textContent;
      btn.textContent = "Copied";
      btn.setAttribute("data-copied", "true");
      setTimeout(function () { btn.textContent = label; btn.removeAttribute("data-copied"); }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(src); });
    } else {
      selectText(src);
      try { document.execCommand("copy"); done(); } catch (err) { /* text stays selected */ }
    }
  });

  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // Pager links swap the table they sit under: the link that had focus is
  // gone and the page stays scrolled to the bottom. Put focus (and the view)
  // on the new table's top, so keyboard users go on from the first row.
  var pagerTarget = null;
  document.addEventListener("click", function (e) {
    var link = e.target.closest("[data-pager-link]");
    if (link) pagerTarget = link.getAttribute("hx-target");
  });
  document.addEventListener("htmx:responseError", function () { pagerTarget = null; });
  document.addEventListener("htmx:afterSettle", function () {
    if (!pagerTarget) return;
    var table = document.querySelector(pagerTarget);
    pagerTarget = null;
    if (!table) return;
    table.setAttribute("tabindex", "-1");
    table.focus({ preventScroll: true });
    table.scrollIntoView({ block: "start" });
  });

  // Focus must not fall to <body> when an htmx swap removes the element
  // that had it (the dashboard's window links sit inside what they swap):
  // a keyboard user would start over from the top. Give it to the element
  // with the same id in the new content, else to the swapped-in element.
  var lostFocus = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    var a = document.activeElement;
    lostFocus = a && a !== document.body && e.detail.target && e.detail.target.contains(a) ? { id: a.id } : null;
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    var had = lostFocus;
    lostFocus = null;
    var a = document.activeElement;
    if (!had || (a && a !== document.body && a.isConnected)) return;
    var next = (had.id && document.getElementById(had.id)) || (e.target.isConnected ? e.target : null);
    if (!next) return;
    if (!next.matches("a[href], button, input, select, textarea, summary, [tabindex]")) next.setAttribute("tabindex", "-1");
    next.focus({ preventScroll: true });
  });

  // Screen readers hear what a swap brought through the page's one live
  // region (#live-status, in the layout): a swapped-in element can't be a
  // live region itself, as it is new each time. The swapped element, or
  // the first inside it, with data-announce says what to read: the
  // attribute's value, else its text. data-announce-changes reads it only
  // when it differs from the last time (the live preview, as one types).
  var lastSaid = {};
  var initial = document.querySelectorAll("[data-announce-changes][id]");
  for (var n = 0; n < initial.length; n++) lastSaid[initial[n].id] = announcement(initial[n]);
  document.addEventListener("htmx:afterSettle", function (e) {
    var el = e.target.matches("[data-announce]") ? e.target : e.target.querySelector("[data-announce]");
    if (!el) return;
    var text = announcement(el);
    if (el.hasAttribute("data-announce-changes")) {
      if (lastSaid[el.id] === text) return;
      lastSaid[el.id] = text;
    }
    announce(text);
  });

  function announcement(el) {
    return (el.getAttribute("data-announce") || el.textContent || "").replace(/\s+/g, " ").trim();
  }

  function announce(text) {
    var live = document.getElementById("live-status");
    if (!live || !text) return;
    // Emptied first, so the same words twice in a row are read twice.
    live.textContent = "";
    setTimeout(function () { live.textContent = text; }, 50);
  }

  // A form post that failed comes back with its errors: put focus on the
  // first control at fault (its label, state and message are read), else
  // on the form's message, so nobody has to hunt for what went wrong.
  var invalid = document.querySelector('main form [aria-invalid="true"]') || document.querySelector('main [data-testid="form-error"]');
  if (invalid) invalid.focus();

  // Confirmation for destructive forms: <form data-confirm="Really?">.
  document.addEventListener("submit", function (e) {
    var form = e.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  // Mapping rule table: add, move and remove rows in the page. Without
  // JavaScript the same buttons submit the form and the server does it.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-rule-action]");
    if (!btn) return;
    var table = btn.closest("[data-rules]");
    if (!table) return;
    e.preventDefault();
    var body = table.querySelector("tbody");
    var row = btn.closest("tr");
    var focusNext = null;
    switch (btn.getAttribute("data-rule-action")) {
      case "add":
        var tpl = document.getElementById("rule-template");
        if (tpl) {
          body.appendChild(tpl.content.cloneNode(true));
          // the new row's first field, so the keyboard goes on typing the rule
          focusNext = body.lastElementChild && body.lastElementChild.querySelector("input");
        }
        break;
      case "up":
        if (row && row.previousElementSibling) body.insertBefore(row, row.previousElementSibling);
        break;
      case "down":
        if (row && row.nextElementSibling) body.insertBefore(row.nextElementSibling, row);
        break;
      case "remove":
        if (row) row.remove();
        break;
    }
    renumber(table);
    var moved = focusNext || (btn.isConnected ? btn : body.querySelector("input, select"));
    if (moved) moved.focus();
    var form = table.closest("form");
    if (form) form.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // renumber numbers the rows of a rule table as shown, names each row's
  // controls after its number (data-rule-label "Move rule {n} up" becomes
  // the aria-label "Move rule 3 up"), points the no-JavaScript button values
  // at the row, and shows the empty-table hint only without rows.
  function renumber(table) {
    var rows = table.querySelectorAll("tbody tr");
    for (var i = 0; i < rows.length; i++) {
      var n = String(i + 1);
      var num = rows[i].querySelector("[data-rule-number]");
      if (num) num.textContent = n;
      var named = rows[i].querySelectorAll("[data-rule-label]");
      for (var j = 0; j < named.length; j++) {
        named[j].setAttribute("aria-label", named[j].getAttribute("data-rule-label").replace("{n}", n));
      }
      var buttons = rows[i].querySelectorAll("button[data-rule-action]");
      for (var k = 0; k < buttons.length; k++) {
        buttons[k].value = buttons[k].getAttribute("data-rule-action") + ":" + i;
      }
    }
    var empty = table.querySelector("[data-rules-empty]");
    if (empty) empty.hidden = rows.length > 0;
  }

  // A rule's arguments field shows the chosen operation's usage
  // (<option data-args="A B C D">) as its placeholder.
  document.addEventListener("change", function (e) {
    if (!e.target.matches('select[name="rule_op"]')) return;
    var opt = e.target.options[e.target.selectedIndex];
    var args = e.target.parentElement.querySelector('[name="rule_args"]');
    if (opt && args) args.placeholder = opt.getAttribute("data-args") || "arguments";
  });

  // When the live preview reports errors of rule rows (<li data-rule="3"
  // data-rule-part="args">), the rows are marked as the server marks them
  // after a failed save: .rule-invalid on the row, aria-invalid on the
  // control at fault, described by the preview's message.
  var ruleControls = { target: "rule_target", source: "rule_source", args: "rule_args", more: "rule_more" };
  document.addEventListener("htmx:afterSettle", function (e) {
    if (e.target.id !== "mapping-preview") return;
    var body = document.querySelector("[data-rules] tbody");
    if (body) markRules(body, e.target);
    markText(e.target);
  });

  // The jq and JSON text areas: a failed save puts its message under the
  // text; from then on the live preview says whether the text is at fault,
  // so a message the admin has fixed since is not left behind.
  function markText(pane) {
    var ids = ["mapping-expression", "mapping-json"];
    var err = pane.querySelector("[id^=preview-error-]:not([data-rule])");
    for (var i = 0; i < ids.length; i++) {
      var area = document.getElementById(ids[i]);
      if (!area) continue;
      var old = document.getElementById(ids[i] + "-error");
      if (old) old.remove();
      area.removeAttribute("aria-invalid");
      var hint = document.getElementById(ids[i] + "-hint") ? ids[i] + "-hint" : "";
      var panel = area.closest("[data-mode-panel]");
      if (err && panel && !panel.hidden) {
        area.setAttribute("aria-invalid", "true");
        area.setAttribute("aria-describedby", (hint + " " + err.id).trim());
      } else if (hint) {
        area.setAttribute("aria-describedby", hint);
      } else {
        area.removeAttribute("aria-describedby");
      }
    }
  }

  function markRules(body, pane) {
    var rows = body.querySelectorAll("tr");
    var i, j;
    for (i = 0; i < rows.length; i++) {
      rows[i].classList.remove("rule-invalid");
      var old = rows[i].querySelectorAll("[data-rule-error], [aria-invalid]");
      for (j = 0; j < old.length; j++) {
        if (old[j].hasAttribute("data-rule-error")) {
          old[j].remove();
        } else {
          old[j].removeAttribute("aria-invalid");
          old[j].removeAttribute("aria-describedby");
        }
      }
    }
    var errs = pane.querySelectorAll("[data-rule]");
    for (i = 0; i < errs.length; i++) {
      var row = rows[Number(errs[i].getAttribute("data-rule")) - 1];
      if (!row || row.classList.contains("rule-invalid")) continue;
      row.classList.add("rule-invalid");
      var name = ruleControls[errs[i].getAttribute("data-rule-part")] || "rule_target";
      var control = row.querySelector('[name="' + name + '"]');
      if (control) {
        control.setAttribute("aria-invalid", "true");
        control.setAttribute("aria-describedby", errs[i].id);
      }
    }
  }

  // Endpoint auth type: show the fields of the chosen type only (without
  // JavaScript they all stay visible; the server ignores the others).
  function syncAuthPanels(root) {
    var selects = root.querySelectorAll('select[name="auth_type"]');
    for (var i = 0; i < selects.length; i++) {
      var form = selects[i].closest("form");
      if (!form) continue;
      var panels = form.querySelectorAll("[data-auth-panel]");
      for (var j = 0; j < panels.length; j++) {
        panels[j].hidden = panels[j].getAttribute("data-auth-panel").split(" ").indexOf(selects[i].value) < 0;
      }
    }
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches('select[name="auth_type"]')) syncAuthPanels(e.target.closest("form") || document);
  });
  document.addEventListener("htmx:afterSettle", function (e) { syncAuthPanels(e.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { syncAuthPanels(document); });
  } else {
    syncAuthPanels(document);
  }

  // Mapping mode switch (rules / expression): show the chosen panel.
  document.addEventListener("change", function (e) {
    if (!e.target.matches('input[name="mode"]')) return;
    var form = e.target.closest("form");
    if (!form) return;
    var panels = form.querySelectorAll("[data-mode-panel]");
    for (var i = 0; i < panels.length; i++) {
      panels[i].hidden = panels[i].getAttribute("data-mode-panel") !== e.target.value;
    }
  });
})();
