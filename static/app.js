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
    switch (btn.getAttribute("data-rule-action")) {
      case "add":
        var tpl = document.getElementById("rule-template");
        if (tpl) body.appendChild(tpl.content.cloneNode(true));
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
    renumber(body);
    var moved = btn.isConnected ? btn : body.querySelector("input, select");
    if (moved) moved.focus();
    var form = table.closest("form");
    if (form) form.dispatchEvent(new Event("change", { bubbles: true }));
  });

  function renumber(body) {
    var rows = body.querySelectorAll("tr");
    for (var i = 0; i < rows.length; i++) {
      var n = rows[i].querySelector("[data-rule-number]");
      if (n) n.textContent = String(i + 1);
    }
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
