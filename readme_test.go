package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestREADMENamesWhatExists keeps the README honest as the code moves: every
// test, benchmark and fuzz target it cites is defined, every flag its
// Commands section names is a flag some command declares, and every
// SWITCHBOARD_* setting it names is read somewhere.
func TestREADMENamesWhatExists(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	var code, tests strings.Builder
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "artifacts" || d.Name() == "data") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_templ.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, "_test.go") {
			tests.Write(b)
		} else {
			code.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^func ((?:Test|Benchmark|Fuzz)[A-Za-z0-9_]*)\(`).FindAllStringSubmatch(tests.String(), -1) {
		defined[m[1]] = true
	}
	cited := regexp.MustCompile(`\b(?:Test|Benchmark|Fuzz)[A-Z][A-Za-z0-9_]*\b`).FindAllString(readme, -1)
	if len(cited) < 100 {
		t.Fatalf("found %d test names in the README, want the 200 or so it cites", len(cited))
	}
	report(t, "test the README cites is not defined", cited, func(n string) bool { return defined[n] })

	start, end := strings.Index(readme, "\n## Commands\n"), strings.Index(readme, "\n## Configuration\n")
	if start < 0 || end < start {
		t.Fatal("README lacks its Commands or Configuration section")
	}
	var flags []string
	for _, m := range regexp.MustCompile(`(?:^|[^\w-])--([a-z][a-z0-9-]+)`).FindAllStringSubmatch(readme[start:end], -1) {
		flags = append(flags, m[1])
	}
	if len(flags) < 50 {
		t.Fatalf("found %d flags in the Commands section, want the 90 or so it names", len(flags))
	}
	all := code.String()
	report(t, "flag the Commands section names is declared nowhere", flags, func(f string) bool { return strings.Contains(all, `"`+f+`"`) })

	settings := regexp.MustCompile(`\bSWITCHBOARD_[A-Z0-9_]+\b`).FindAllString(readme, -1)
	report(t, "setting the README names is read nowhere", settings, func(s string) bool {
		return strings.Contains(all, `"`+s+`"`) || strings.Contains(tests.String(), `"`+s+`"`)
	})
}

// report fails the test once, naming every distinct item ok refuses.
func report(t *testing.T, what string, items []string, ok func(string) bool) {
	t.Helper()
	seen, bad := map[string]bool{}, []string{}
	for _, it := range items {
		if !seen[it] && !ok(it) {
			bad = append(bad, it)
		}
		seen[it] = true
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		t.Errorf("%s: %s", what, strings.Join(bad, ", "))
	}
}
