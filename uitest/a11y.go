package uitest

// The accessibility audits the admin UI's browser tests evaluate in each
// page (see TestBrowserAccessibility); each returns a list of problems.

// A11yAudit is evaluated in a page and returns what breaks the structural
// accessibility rules the admin UI keeps (WCAG 2.2 AA): one problem per
// string, naming the element. It checks what a DOM query can decide; the
// keyboard, focus and live-region rules are driven separately.
const A11yAudit = `(() => {
  const problems = [];
  const name = (el) => {
    if (!el || !el.tagName) return String(el);
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    for (const a of ["data-testid", "name", "class"]) {
      if (el.getAttribute(a)) s += "[" + a + "=" + el.getAttribute(a) + "]";
    }
    const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return text ? s + " «" + text + "»" : s;
  };
  const bad = (rule, el, why) => problems.push(rule + ": " + name(el) + (why ? " (" + why + ")" : ""));
  const all = (sel) => Array.from(document.querySelectorAll(sel));
  const text = (el) => (el.textContent || "").trim();
  const byIDs = (ids) => (ids || "").split(/\s+/).filter(Boolean).map((id) => document.getElementById(id));

  // <html lang>, a title, the skip link and the landmarks.
  if (!document.documentElement.lang) bad("lang", document.documentElement, "no lang");
  if (!document.title.trim()) bad("title", document.documentElement, "empty title");
  const skip = document.querySelector("a[href^='#']");
  const first = all("a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])")[0];
  if (!skip || skip !== first || !/skip/i.test(text(skip))) bad("skip-link", first, "the first focusable element must be a skip link");
  else {
    const target = document.getElementById(skip.getAttribute("href").slice(1));
    if (!target || target.tagName !== "MAIN") bad("skip-link", skip, "its target must be <main>");
    else if (target.getAttribute("tabindex") !== "-1") bad("skip-link", target, "the target must take focus (tabindex=-1)");
  }
  if (all("main").length !== 1) bad("landmark", document.body, all("main").length + " <main>");
  if (!document.querySelector("body > header, body > * > header")) bad("landmark", document.body, "no <header>");
  if (document.querySelector("[data-testid=current-user]") && !document.querySelector("nav[aria-label]")) bad("landmark", document.body, "no labelled <nav>");

  // Ids are unique, and every id reference points at an element.
  const seen = {};
  for (const el of all("[id]")) {
    if (seen[el.id]) bad("duplicate-id", el);
    seen[el.id] = true;
  }
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
    for (const el of all("[" + attr + "]")) {
      if (byIDs(el.getAttribute(attr)).some((t) => !t)) bad("broken-reference", el, attr + "=" + el.getAttribute(attr));
    }
  }

  // One h1, and headings that never skip a level on the way down.
  const headings = all("h1, h2, h3, h4, h5, h6").filter((h) => !h.closest("[hidden], template"));
  if (headings.filter((h) => h.tagName === "H1").length !== 1) bad("h1", document.body, headings.filter((h) => h.tagName === "H1").length + " h1 elements");
  let level = 0;
  for (const h of headings) {
    const l = Number(h.tagName[1]);
    if (l > level + 1) bad("heading-order", h, "h" + l + " after h" + level);
    level = l;
  }

  // Every form control has a label; an invalid one says why.
  for (const el of all("input:not([type=hidden]), select, textarea")) {
    const labelled = (el.getAttribute("aria-label") || "").trim() ||
      byIDs(el.getAttribute("aria-labelledby")).some((t) => t && text(t)) ||
      Array.from(el.labels || []).some((l) => text(l));
    if (!labelled) bad("label", el, "no programmatic label");
  }
  for (const el of all("[aria-invalid=true]")) {
    if (!byIDs(el.getAttribute("aria-describedby")).some((t) => t && text(t))) bad("error-link", el, "aria-invalid without a described error");
  }
  for (const el of all(".field .error[id], .rules .error[id]")) {
    if (!document.querySelector("[aria-describedby~='" + el.id + "']")) bad("error-link", el, "an error message no control points at");
  }

  // Tables are named and their headers scoped.
  for (const t of all("table")) {
    const named = (t.caption && text(t.caption)) || (t.getAttribute("aria-label") || "").trim() ||
      byIDs(t.getAttribute("aria-labelledby")).some((e) => e && text(e));
    if (!named) bad("table-name", t, "no caption or aria-label");
  }
  for (const th of all("th")) {
    if (!["col", "row", "colgroup", "rowgroup"].includes(th.getAttribute("scope"))) bad("th-scope", th);
  }

  // Only links and buttons (and form controls) act on a click.
  const actionable = ["A", "BUTTON", "INPUT", "SELECT", "TEXTAREA", "FORM", "SUMMARY", "OPTION"];
  for (const el of all("*")) {
    for (const a of el.getAttributeNames()) {
      if (a.startsWith("on")) bad("click-handler", el, a + " attribute");
    }
  }
  for (const el of all("[role=button], [role=link], [hx-get], [hx-post], [data-copy], [data-rule-action]")) {
    const trigger = el.getAttribute("hx-trigger") || "";
    const clicks = !(el.hasAttribute("hx-get") || el.hasAttribute("hx-post")) || trigger === "" || /click/.test(trigger);
    if (clicks && !actionable.includes(el.tagName)) bad("click-handler", el, "a " + el.tagName.toLowerCase() + " that acts on click");
  }
  for (const a of all("a:not([href])")) {
    if (a.hasAttribute("tabindex") || a.hasAttribute("hx-get")) bad("click-handler", a, "a link without href");
  }
  for (const el of all("[tabindex]")) {
    if (Number(el.getAttribute("tabindex")) > 0) bad("tabindex", el, "positive tabindex");
  }
  return problems;
})()`

// A11yContrast is evaluated in a page and returns every visible text whose
// colour against its background is below WCAG's AA minimum (4.5:1, 3:1 for
// large text). Disabled controls are exempt, as WCAG says.
const A11yContrast = `(() => {
  const problems = [];
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, below) => ({
    r: top.r * top.a + below.r * (1 - top.a), g: top.g * top.a + below.g * (1 - top.a),
    b: top.b * top.a + below.b * (1 - top.a), a: 1 });
  const lum = (c) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  // background composites the backgrounds from the root down to el; null
  // when an image or gradient makes it unknowable.
  const background = (el) => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const e of chain) {
      const cs = getComputedStyle(e);
      if (cs.backgroundImage !== "none") return null;
      const c = parse(cs.backgroundColor);
      if (c && c.a > 0) bg = over(c, bg);
    }
    return bg;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const done = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || done.has(el) || el.closest("svg, template, [hidden], option")) continue;
    done.add(el);
    if (!el.getClientRects().length || el.closest(".visually-hidden")) continue;
    if (el.closest(":disabled, fieldset[disabled]")) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden") continue;
    const bg = background(el);
    const fg = parse(cs.color);
    if (!bg || !fg) continue;
    const size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const r = ratio(over(fg, bg), bg);
    if (r < need) {
      problems.push("contrast: " + el.tagName.toLowerCase() + (el.className ? "." + String(el.className).replace(/ /g, ".") : "") +
        " «" + n.textContent.trim().slice(0, 30) + "» " + r.toFixed(2) + ":1, want " + need + ":1");
    }
  }
  return problems;
})()`

// A11yFocus focuses every visible focusable element of the page in turn
// (after a real Tab press, so the browser shows focus as for a keyboard
// user) and returns those whose focus indicator is missing, too faint
// (under 3:1 against what surrounds it) or cut off by a scrolling box.
const A11yFocus = `(() => {
  const problems = [];
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = (c) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  // around is the opaque background the indicator is drawn on: the
  // element's own for an inset outline, its parent's otherwise.
  const around = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a === 1) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.getAttribute("data-testid") ? "[data-testid=" + el.getAttribute("data-testid") + "]" : "") +
    " «" + ((el.getAttribute("aria-label") || el.textContent || el.name || "").trim().replace(/\s+/g, " ").slice(0, 30)) + "»";
  const sel = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])";
  for (const el of document.querySelectorAll(sel)) {
    if (el.disabled || el.closest("fieldset[disabled], template") || !el.getClientRects().length) continue;
    el.focus();
    if (document.activeElement !== el) continue; // not focusable after all (e.g. inside closed details)
    const cs = getComputedStyle(el);
    const width = parseFloat(cs.outlineWidth);
    if (!el.matches(":focus-visible") || cs.outlineStyle === "none" || width < 2) {
      problems.push("focus-visible: " + name(el) + " shows no outline (" + cs.outlineStyle + " " + cs.outlineWidth + ")");
      continue;
    }
    const offset = parseFloat(cs.outlineOffset);
    const bg = offset < 0 ? around(el) : around(el.parentElement);
    const r = ratio(parse(cs.outlineColor), bg);
    if (r < 3) problems.push("focus-contrast: " + name(el) + " outline " + r.toFixed(2) + ":1 against its background, want 3:1");
    const grow = offset + width;
    const rect = el.getBoundingClientRect();
    const ring = { left: rect.left - grow, right: rect.right + grow, top: rect.top - grow, bottom: rect.bottom + grow };
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === "visible" && s.overflowY === "visible") continue;
      const box = a.getBoundingClientRect();
      if (ring.left < box.left - 0.5 || ring.right > box.right + 0.5 || ring.top < box.top - 0.5 || ring.bottom > box.bottom + 0.5) {
        problems.push("focus-clipped: " + name(el) + " outline cut off by " + a.tagName.toLowerCase() + "." + String(a.className).replace(/ /g, "."));
        break;
      }
    }
  }
  document.activeElement && document.activeElement.blur();
  return problems;
})()`
