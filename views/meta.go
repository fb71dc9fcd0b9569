// Package views is the admin UI's templ components: the layout, shared
// components and one file per screen, each with the props struct it renders.
//
// It is a leaf: it imports nothing of the project, no GORM and no Fiber.
// Handlers in the owning packages turn their domain values into props
// (strings already formatted, URLs already built, permissions as booleans)
// and render XxxPage(props) for a full load or the fragment Xxx(props) for
// an htmx swap. Everything is escaped by templ; nothing here uses
// templ.Raw, so text from a webhook can never become markup.
package views

import (
	"strconv"
	"strings"
)

// Meta is what every page needs besides its own content: the title, who is
// signed in, which nav entry is current, the CSRF token, flash messages and
// the asset URLs. auth builds it for a request.
type Meta struct {
	Title   string
	Active  string // nav key of the current section, e.g. NavDeliveries
	User    *User  // nil on the sign-in and setup pages
	CSRF    string // echoed as <meta name="csrf-token"> and in every form's csrf_token field (auth.CSRFField)
	Flashes []Flash
	Assets  Assets
	Version string
}

// User is the signed-in user as the header shows them, with what their role
// may do (for the nav: admins see Sources, Users and Audit).
type User struct {
	Name       string
	Email      string
	Role       string
	CanEdit    bool // change configuration
	CanManage  bool // users, API tokens, audit log, sources
	SignOutURL string
}

// Flash is a one-time message shown above the page content.
type Flash struct {
	Kind string // FlashSuccess, FlashError, FlashInfo or FlashWarning
	Text string
}

// Flash kinds.
const (
	FlashSuccess = "success"
	FlashError   = "error"
	FlashInfo    = "info"
	FlashWarning = "warning"
)

// Assets are the content-hashed URLs of the static files (static.URL).
// Empty fields fall back to the unhashed paths so a page still renders in
// tests that don't set them.
type Assets struct {
	CSS, HTMX, JS, Icon string
}

func (a Assets) css() string  { return orDefault(a.CSS, "/static/app.css") }
func (a Assets) htmx() string { return orDefault(a.HTMX, "/static/htmx.min.js") }
func (a Assets) js() string   { return orDefault(a.JS, "/static/app.js") }
func (a Assets) icon() string { return orDefault(a.Icon, "/static/favicon.svg") }

// CSRFField is the name of the hidden form field that carries the CSRF token;
// CSRFHeader is the header app.js sets on htmx requests.
const (
	CSRFField  = "csrf_token" // auth.CSRFField
	CSRFHeader = "X-CSRF-Token"
)

// Nav keys (Meta.Active).
const (
	NavDashboard  = "dashboard"
	NavTenants    = "tenants"
	NavDeliveries = "deliveries"
	NavEvents     = "events"
	NavUnrouted   = "unrouted"
	NavSources    = "sources"
	NavUsers      = "users"
	NavAudit      = "audit"
)

// htmxConfig keeps htmx inside the CSP (no inline indicator styles, no
// eval) and lets 422 form errors swap in like successes.
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},` +
	`{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

type navLink struct {
	Key, Label, URL string
}

// navLinks lists the sections the user's role may open.
func navLinks(u *User) []navLink {
	links := []navLink{
		{NavDashboard, "Dashboard", "/admin"},
		{NavTenants, "Tenants", "/admin/tenants"},
		{NavDeliveries, "Deliveries", "/admin/deliveries"},
		{NavEvents, "Events", "/admin/events"},
		{NavUnrouted, "Unrouted", "/admin/unrouted"},
	}
	if u != nil && u.CanManage {
		links = append(links,
			navLink{NavSources, "Sources", "/admin/sources"},
			navLink{NavUsers, "Users & tokens", "/admin/users"},
			navLink{NavAudit, "Audit log", "/admin/audit"})
	}
	return links
}

func pageTitle(m Meta) string {
	if m.Title == "" {
		return "Switchboard"
	}
	return m.Title + " · Switchboard"
}

// titled is m with a page's own title. Handlers name some pages by their
// kind ("Endpoint", "Edit user"); the page knows which one it shows, and
// two endpoints' pages must not share a title.
func titled(m Meta, title string) Meta {
	m.Title = title
	return m
}

// tenantCrumb is the label of the second breadcrumb (Tenants › tenant ›
// …): the tenant an endpoint or mapping page belongs to, or "".
func tenantCrumb(crumbs []Link) string {
	if len(crumbs) < 2 {
		return ""
	}
	return crumbs[1].Label
}

// joinTitle joins the non-empty parts of a page title with " · ".
func joinTitle(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " · ")
}

// breakable splits s after each "." and "_", so a long dotted name
// ("interview.interviewer_evaluation") may wrap there (<wbr>) instead of
// widening its table column.
func breakable(s string) []string {
	var parts []string
	start := 0
	for i, r := range s {
		if (r == '.' || r == '_') && i+1 < len(s) {
			parts = append(parts, s[start:i+1])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// listAnnouncement is what app.js reads out when a filter, a search or the
// pager swaps a list: "12 deliveries shown.", "No deliveries match.", with
// "More on the next page." when there is one.
func listAnnouncement(n int, one, many string, p Pager) string {
	if n == 0 {
		return "No " + many + " match."
	}
	s := count(int64(n), one, many) + " shown."
	if p.NextURL != "" {
		s += " More on the next page."
	}
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func i64toa(n int64) string { return strconv.FormatInt(n, 10) }

// ariaCurrent is the aria-current value of a nav link.
func ariaCurrent(active, key string) string {
	if active == key {
		return "page"
	}
	return "false"
}

// flashRole makes errors interrupt screen readers and the rest polite.
func flashRole(kind string) string {
	if kind == FlashError {
		return "alert"
	}
	return "status"
}

func boolKey(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func windowClass(selected bool) string {
	if selected {
		return "button button-small button-primary"
	}
	return "button button-small"
}

func buttonClass(danger bool) string {
	if danger {
		return "button-danger"
	}
	return ""
}

// ruleNumber is the 1-based number of a rule row; the template row has none.
func ruleNumber(i int) string {
	if i < 0 {
		return "new"
	}
	return itoa(i + 1)
}

// ruleLabel is the accessible name of a rule row's control: pattern with
// {n} replaced by the row's number ("Move rule {n} up" → "Move rule 2 up").
// app.js renumbers the same patterns (data-rule-label) after every add,
// move and remove; the template row says "new" until then.
func ruleLabel(pattern string, i int) string {
	return strings.ReplaceAll(pattern, "{n}", ruleNumber(i))
}

// ruleInvalid says whether part ("target", "source", "args", "more") of
// the row is the control at fault; an error of the whole row marks its target.
func ruleInvalid(r Rule, part string) bool {
	return r.Error != "" && (r.ErrorPart == part || r.ErrorPart == "" && part == "target")
}

// ruleErrorID is the id of a row's error message.
func ruleErrorID(i int) string { return "rule-" + ruleNumber(i) + "-error" }

// ruleRowClass marks a row with an error.
func ruleRowClass(r Rule) string {
	if r.Error != "" {
		return "rule-invalid"
	}
	return ""
}

// argsHint is the arguments placeholder for operation name: its usage
// without the name ("A B C D"), "no arguments", or "arguments" (copy).
func argsHint(ops []RuleOp, name string) string {
	for _, o := range ops {
		if o.Name == name {
			return o.ArgsHint()
		}
	}
	return "arguments"
}

// count says n things: "1 event", "3 events".
func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return i64toa(n) + " " + many
}

func isAre(n int64) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
