package webhooks

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestIngestOutcomesExported: every outcome switchboard_ingest_requests_total
// can count is exported at zero from the start, and nothing else is. The
// outcomes are derived from the source, not copied by hand: what
// handleIngest observes (a problem code, a stored event's IngestStatus, or
// outcomeOf of admit's error: reasonCode's words, outcomeError and every
// problem code that admit and the functions it calls can return), and what
// main counts before the handler (CountRefusedEarly). An observe or
// CountRefusedEarly argument the derivation does not understand fails the
// test, so a new outcome can't slip past it.
func TestIngestOutcomesExported(t *testing.T) {
	derived := deriveIngestOutcomes(t)
	for _, o := range slices.Sorted(mapsKeys(derived)) {
		t.Logf("%s: %s", o, derived[o])
	}
	for _, o := range slices.Sorted(mapsKeys(derived)) {
		if !slices.Contains(ingestOutcomes, o) {
			t.Errorf("outcome %q (%s) is not in ingestOutcomes, so not exported at zero", o, derived[o])
		}
	}
	for _, o := range ingestOutcomes {
		if _, ok := derived[o]; !ok {
			t.Errorf("ingestOutcomes has %q, which the code never counts", o)
		}
	}
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range families {
		if f.GetName() != "switchboard_ingest_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				exported[l.GetValue()] = true
			}
		}
	}
	for _, o := range slices.Sorted(mapsKeys(derived)) {
		if !exported[o] {
			t.Errorf(`switchboard_ingest_requests_total{outcome=%q} is not exported`, o)
		}
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// source is the parsed non-test files of one package.
type source struct {
	fset    *token.FileSet
	files   []*ast.File
	funcs   map[string][]*ast.FuncDecl // functions and methods by name
	consts  map[string]string          // string constants by name
	typed   map[string][]string        // constant values by their declared type
	imports map[*ast.File]map[string]bool
}

func parseSource(t *testing.T, dir string) *source {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	s := &source{funcs: map[string][]*ast.FuncDecl{}, consts: map[string]string{}, typed: map[string][]string{},
		imports: map[*ast.File]map[string]bool{}}
	fset := token.NewFileSet()
	s.fset = fset
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		s.files = append(s.files, f)
		s.imports[f] = map[string]bool{}
		for _, imp := range f.Imports {
			name := filepath.Base(strings.Trim(imp.Path.Value, `"`))
			if imp.Name != nil {
				name = imp.Name.Name
			}
			s.imports[f][name] = true
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				s.funcs[d.Name.Name] = append(s.funcs[d.Name.Name], d)
			case *ast.GenDecl:
				if d.Tok != token.CONST {
					continue
				}
				for _, spec := range d.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i >= len(vs.Values) {
							continue
						}
						lit, ok := vs.Values[i].(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							continue
						}
						v, _ := strconv.Unquote(lit.Value)
						s.consts[name.Name] = v
						if typ, ok := vs.Type.(*ast.Ident); ok {
							s.typed[typ.Name] = append(s.typed[typ.Name], v)
						}
					}
				}
			}
		}
	}
	return s
}

// problemCodes maps problem's Code constants and its constructors
// (problem.BadRequest, …) to the code they carry.
func problemCodes(p *source) (consts, ctors map[string]string) {
	consts, ctors = map[string]string{}, map[string]string{}
	for name, v := range p.consts {
		if slices.Contains(p.typed["Code"], v) {
			consts[name] = v
		}
	}
	for name, decls := range p.funcs {
		for _, fd := range decls {
			if fd.Recv != nil || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if kv, ok := n.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Code" {
						if v, ok := kv.Value.(*ast.Ident); ok && consts[v.Name] != "" {
							ctors[name] = consts[v.Name]
						}
					}
				}
				return true
			})
		}
	}
	return consts, ctors
}

// deriveIngestOutcomes returns every outcome the code can count, each with
// where it comes from.
func deriveIngestOutcomes(t *testing.T) map[string]string {
	t.Helper()
	wh, prob, main := parseSource(t, "."), parseSource(t, "../problem"), parseSource(t, "..")
	codeConsts, codeCtors := problemCodes(prob)
	out := map[string]string{}
	// codeOf resolves problem.CodeX and problem.Ctor(…).
	codeOf := func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.SelectorExpr:
			if x, ok := e.X.(*ast.Ident); ok && x.Name == "problem" && codeConsts[e.Sel.Name] != "" {
				return codeConsts[e.Sel.Name], true
			}
		case *ast.CallExpr:
			if sel, ok := e.Fun.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "problem" && codeCtors[sel.Sel.Name] != "" {
					return codeCtors[sel.Sel.Name], true
				}
			}
		}
		return "", false
	}

	// outcomeOf(err): its own and reasonCode's words, and the code of any
	// problem error that admit (whose error it is given) can return.
	if callers := callersOf(wh, "outcomeOf"); !slices.Equal(callers, []string{"handleIngest"}) {
		t.Fatalf("outcomeOf is called from %v; the derivation assumes handleIngest only, with admit's error", callers)
	}
	outcomeOfs := map[string]string{}
	for _, fn := range []string{"outcomeOf", "reasonCode"} {
		for _, fd := range wh.funcs[fn] {
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				ret, ok := n.(*ast.ReturnStmt)
				if !ok || len(ret.Results) != 1 {
					return true
				}
				switch r := ret.Results[0].(type) {
				case *ast.BasicLit:
					v, _ := strconv.Unquote(r.Value)
					outcomeOfs[v] = fn + " returns it"
				case *ast.Ident:
					if v, ok := wh.consts[r.Name]; ok {
						outcomeOfs[v] = fn + " returns it"
					}
				}
				return true
			})
		}
	}
	for _, fd := range reachable(t, wh, "admit") {
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if e, ok := n.(ast.Expr); ok {
				if code, ok := codeOf(e); ok {
					outcomeOfs[code] = "a problem error of " + fd.Name.Name + ", reached from admit"
				}
			}
			return true
		})
	}

	for _, call := range callsOf(wh, "observe") {
		arg := call.Args[0]
		if code, ok := codeOf(stripString(arg)); ok {
			out[code] = "handleIngest observes it"
			continue
		}
		if c, ok := arg.(*ast.CallExpr); ok {
			if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "outcomeOf" {
				for o, why := range outcomeOfs {
					out[o] = why
				}
				continue
			}
		}
		if sel, ok := stripString(arg).(*ast.SelectorExpr); ok && sel.Sel.Name == "Status" {
			for _, v := range wh.typed["IngestStatus"] {
				out[v] = "an IngestStatus"
			}
			continue
		}
		t.Errorf("can't tell which outcomes observe(%s) counts: extend deriveIngestOutcomes", exprString(arg))
	}
	for _, src := range []*source{wh, main} {
		for _, call := range callsOf(src, "CountRefusedEarly") {
			if code, ok := codeOf(call.Args[0]); ok {
				out[code] = "counted before the handler (CountRefusedEarly)"
				continue
			}
			t.Errorf("can't tell which outcome CountRefusedEarly(%s) counts: pass a problem.Code constant", exprString(call.Args[0]))
		}
	}
	return out
}

// stripString unwraps a string(…) conversion.
func stripString(e ast.Expr) ast.Expr {
	if c, ok := e.(*ast.CallExpr); ok && len(c.Args) == 1 {
		if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "string" {
			return c.Args[0]
		}
	}
	return e
}

func exprString(e ast.Expr) string {
	var b strings.Builder
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			b.WriteString(id.Name + " ")
		}
		return true
	})
	return strings.TrimSpace(b.String())
}

// isCallOf reports whether call calls the function (not a method) name:
// name of src's own package, or pkg.name of an imported one.
func isCallOf(src *source, f *ast.File, call *ast.CallExpr, name string) bool {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		return fn.Name == name
	case *ast.SelectorExpr:
		x, ok := fn.X.(*ast.Ident)
		return ok && src.imports[f][x.Name] && fn.Sel.Name == name
	}
	return false
}

// callsOf returns the calls of the function name anywhere in src.
func callsOf(src *source, name string) []*ast.CallExpr {
	var out []*ast.CallExpr
	for _, f := range src.files {
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && isCallOf(src, f, call, name) {
				out = append(out, call)
			}
			return true
		})
	}
	return out
}

// callersOf names the functions of src that call the function name.
func callersOf(src *source, name string) []string {
	var out []string
	for _, f := range src.files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok && isCallOf(src, f, call, name) && !slices.Contains(out, fd.Name.Name) {
					out = append(out, fd.Name.Name)
				}
				return true
			})
		}
	}
	return out
}

// reachable returns the functions and methods of src that root (a
// function or method name) may call, directly or not. Calls are resolved
// with go/types over src alone (other packages are left empty, so their
// functions never resolve to src's): precise for src's own functions and
// concrete methods; a call through an interface is not followed.
func reachable(t *testing.T, src *source, root string) []*ast.FuncDecl {
	t.Helper()
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{}}
	conf := types.Config{Importer: emptyImporter{}, Error: func(error) {}}
	pkg, _ := conf.Check("webhooks", src.fset, src.files, info)
	decls := map[types.Object]*ast.FuncDecl{}
	for _, fds := range src.funcs {
		for _, fd := range fds {
			decls[info.Defs[fd.Name]] = fd
		}
	}
	callee := func(call *ast.CallExpr) *ast.FuncDecl {
		var obj types.Object
		switch fn := call.Fun.(type) {
		case *ast.Ident:
			obj = info.Uses[fn]
		case *ast.SelectorExpr:
			if sel, ok := info.Selections[fn]; ok {
				obj = sel.Obj()
			}
		}
		if obj == nil || obj.Pkg() != pkg {
			return nil
		}
		return decls[obj]
	}
	seen := map[*ast.FuncDecl]bool{}
	queue := slices.Clone(src.funcs[root])
	if len(queue) == 0 {
		t.Fatalf("no function %s", root)
	}
	var out []*ast.FuncDecl
	for len(queue) > 0 {
		fd := queue[0]
		queue = queue[1:]
		if seen[fd] || fd.Body == nil {
			continue
		}
		seen[fd] = true
		out = append(out, fd)
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if d := callee(call); d != nil {
					queue = append(queue, d)
				}
			}
			return true
		})
	}
	return out
}

// emptyImporter imports every package as an empty one: enough to resolve
// a package's calls of its own functions and methods.
type emptyImporter struct{}

func (emptyImporter) Import(path string) (*types.Package, error) {
	p := types.NewPackage(path, filepath.Base(path))
	p.MarkComplete()
	return p, nil
}
