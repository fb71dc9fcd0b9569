package uitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/switchboard-gw/switchboard/static"
	"github.com/switchboard-gw/switchboard/views"
	"github.com/switchboard-gw/switchboard/views/fixtures"
)

// PreviewHandler serves every admin screen rendered from fixture props, for
// the browser tests before the real page handlers exist:
//
//	GET  /preview/{page}?role=admin|support|viewer&hostile=1&secret=1&empty=1
//	POST /admin/tenants/1/endpoints/1/mapping/preview   the editor's live preview (checks the CSRF header)
//	GET  /admin/deliveries?status=…                    the deliveries list, filtered by status like the real one
//	GET  /csp-probe                                     a page with inline script, to prove the CSP blocks it
//	GET  /static/…                                      the embedded assets
//
// Every answer carries static.SecurityHeaders, as main's /admin does.
func PreviewHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", static.Handler())
	mux.HandleFunc("GET /preview/{page}", servePreview)
	mux.HandleFunc("POST /admin/tenants/1/endpoints/1/mapping/preview", serveMappingPreview)
	mux.HandleFunc("GET /csp-probe", serveCSPProbe)
	mux.HandleFunc("GET /admin/deliveries", serveDeliveries)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range static.SecurityHeaders() {
			w.Header().Set(h[0], h[1])
		}
		mux.ServeHTTP(w, r)
	})
}

// FlagsFor turns the preview query into fixture flags.
func FlagsFor(r *http.Request) fixtures.Flags {
	q := r.URL.Query()
	f := fixtures.Flags{Hostile: q.Get("hostile") == "1", WithSecret: q.Get("secret") == "1", Empty: q.Get("empty") == "1"}
	switch q.Get("role") {
	case "support":
		f.CanRetry = true
	case "viewer":
	default:
		f.CanEdit, f.CanRetry, f.CanManage = true, true, true
	}
	return f
}

func servePreview(w http.ResponseWriter, r *http.Request) {
	for _, p := range fixtures.Pages(FlagsFor(r)) {
		if p.Name == r.PathValue("page") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = p.View.Render(r.Context(), w)
			return
		}
	}
	http.NotFound(w, r)
}

// serveMappingPreview answers the editor's htmx post with the payload the
// rules as typed would build (target ← source, no operations), and an
// error for each row with a source but no target: enough to show htmx, CSRF
// header, swap and the marking of rows at fault working under the CSP.
func serveMappingPreview(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(views.CSRFHeader) != "csrf-token-fixture" {
		http.Error(w, "missing CSRF header", http.StatusForbidden)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out := map[string]string{}
	targets, sources := r.PostForm["rule_target"], r.PostForm["rule_source"]
	var order []string
	var errs []views.MappingError
	for i, t := range targets {
		if t = strings.TrimSpace(t); t != "" && i < len(sources) {
			out[t] = "value of " + sources[i]
			order = append(order, t)
		} else if i < len(sources) && strings.TrimSpace(sources[i]) != "" {
			errs = append(errs, views.MappingError{Field: fmt.Sprintf("rule %d, target field", i+1), Reason: "is empty", Rule: i + 1, Part: "target"})
		}
	}
	body, _ := json.MarshalIndent(out, "", "  ")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = views.MappingPreviewPane(views.MappingPreview{Source: r.PostForm.Get("sample") + " · rules " + strings.Join(order, ","), Output: string(body),
		Errors: errs}).Render(r.Context(), w)
}

// serveDeliveries renders the fixture deliveries filtered by the URL's
// status and meetingCode, so a test can watch filters travel through the URL.
func serveDeliveries(w http.ResponseWriter, r *http.Request) {
	p := fixtures.Deliveries(FlagsFor(r))
	q := r.URL.Query()
	p.Filter = views.DeliveryFilter{Status: q.Get("status"), MeetingCode: q.Get("meeting_code")}
	var rows []views.DeliveryRow
	for _, row := range p.Rows {
		if (p.Filter.Status == "" || row.Status == p.Filter.Status) && strings.Contains(row.MeetingCode, p.Filter.MeetingCode) {
			rows = append(rows, row)
		}
	}
	p.Rows = rows
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.Header.Get("HX-Request") == "true" {
		_ = views.DeliveryTable(p).Render(r.Context(), w)
		return
	}
	_ = views.DeliveriesPage(p).Render(r.Context(), w)
}

// cspProbe tries every way of running script the CSP must block, next to
// the app's own scripts, which must run.
const cspProbe = `<!DOCTYPE html><html><head><title>CSP probe</title>
<script>window.__inline = 1</script>
<script src="data:text/javascript,window.__dataURL=1"></script>
<style>body { background: rgb(255, 0, 0) }</style>
<script src="%HTMX%" defer></script><script src="%APP%" defer></script></head>
<body><button id="probe" onclick="window.__clicked=1">probe</button>
<img src="x" onerror="window.__onerror=1" alt="">
<a id="js-link" href="javascript:window.__href=1">link</a></body></html>`

func serveCSPProbe(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	page := strings.NewReplacer("%HTMX%", static.URL("htmx.min.js"), "%APP%", static.URL("app.js")).Replace(cspProbe)
	_, _ = w.Write([]byte(page))
}
