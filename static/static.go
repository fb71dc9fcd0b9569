// Package static holds the admin UI's browser assets: htmx (vendored from
// npm at a pinned version, see README.md here), the stylesheet and app.js.
// They are embedded in the binary and served under content-hashed names, so
// a browser may cache each one forever and still sees a new file the moment
// its bytes change.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// FS is the embedded asset tree (file names without hashes).
//
//go:embed htmx.min.js app.js app.css favicon.svg
var FS embed.FS

// Prefix is the URL path under which assets are served.
const Prefix = "/static/"

// ContentSecurityPolicy is the header every admin page is served with: no
// inline scripts or styles, no eval, nothing from other origins. Templates
// keep behaviour in app.js and styling in app.css so this can stay strict.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// SecurityHeaders are the headers every admin page is served with, the CSP
// first. main sets them on /admin; the browser tests' server sets the same.
func SecurityHeaders() [][2]string {
	return [][2]string{
		{"Content-Security-Policy", ContentSecurityPolicy},
		{"X-Content-Type-Options", "nosniff"},
		{"X-Frame-Options", "DENY"},
		{"Referrer-Policy", "same-origin"},
	}
}

// Asset is one embedded file.
type Asset struct {
	Name        string // file name in FS, e.g. "app.css"
	Hashed      string // name served with a content hash, e.g. "app.3f2a1b9c.css"
	ContentType string
	Body        []byte
}

var (
	byName   = map[string]*Asset{}
	byHashed = map[string]*Asset{}
)

func init() {
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		panic(err) // the embed directive guarantees the files exist
	}
	for _, e := range entries {
		body, err := FS.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		a := &Asset{Name: e.Name(), Hashed: hashedName(e.Name(), body), Body: body,
			ContentType: mime.TypeByExtension(path.Ext(e.Name()))}
		if a.ContentType == "" {
			a.ContentType = "application/octet-stream"
		}
		byName[a.Name], byHashed[a.Hashed] = a, a
	}
}

// hashedName inserts the first 10 hex digits of the SHA-256 of body before
// the extension: "htmx.min.js" becomes "htmx.min.<hash>.js".
func hashedName(name string, body []byte) string {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
}

// URL returns the content-hashed URL of the embedded file name, e.g.
// URL("app.css") = "/static/app.3f2a1b9c0d.css". It panics on a name that is
// not embedded: that is a typo in the caller, caught by any test rendering it.
func URL(name string) string {
	a, ok := byName[name]
	if !ok {
		panic("static: no embedded asset " + name)
	}
	return Prefix + a.Hashed
}

// Lookup finds an asset by the file part of its URL (hashed or plain name).
// immutable is true for a hashed name, which may be cached forever.
func Lookup(file string) (a *Asset, immutable, ok bool) {
	if a, ok := byHashed[file]; ok {
		return a, true, true
	}
	a, ok = byName[file]
	return a, false, ok
}

// CacheControl is the Cache-Control value for an asset found by Lookup.
func CacheControl(immutable bool) string {
	if immutable {
		return "public, max-age=31536000, immutable"
	}
	return "no-cache"
}

// Handler serves the assets at Prefix+name (hashed or plain) with their
// content type and caching headers, for net/http servers and tests.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, immutable, ok := Lookup(strings.TrimPrefix(r.URL.Path, Prefix))
		if !ok || !strings.HasPrefix(r.URL.Path, Prefix) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", a.ContentType)
		w.Header().Set("Cache-Control", CacheControl(immutable))
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(a.Body)
	})
}
