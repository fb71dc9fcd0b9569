package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCommandHelpListsActions: "COMMAND -h", "--help" and "help" on a
// command that takes an action print its actions on stdout and succeed
// ("tenants -h" used to exit 1 with "unknown action"); each action listed
// exists ("COMMAND ACTION -h" prints its flags); an unknown action still
// fails, naming the actions, without opening a database.
func TestCommandHelpListsActions(t *testing.T) {
	never := filepath.Join(t.TempDir(), "never.db")
	t.Setenv("SWITCHBOARD_DATABASE_URL", "sqlite:"+never)
	names := make([]string, 0, len(actionLists))
	for name := range actionLists {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		l := actionLists[name]
		for _, word := range []string{"-h", "--help", "help"} {
			var out bytes.Buffer
			var err error
			captureStderr(t, func() { err = run(context.Background(), []string{name, word}, &out) })
			if err != nil && !(l.defaultFlags != "" && word != "help" && errors.Is(err, flag.ErrHelp)) {
				t.Errorf("%s %s: err = %v, want the actions listed and exit 0", name, word, err)
			}
			if exitCode(err) != 0 {
				t.Errorf("%s %s: exit code %d, want 0", name, word, exitCode(err))
			}
			for _, a := range l.actions {
				if !strings.Contains(out.String(), "\n  "+a[0]+" ") {
					t.Errorf("%s %s printed:\n%s\nwant a line for %q", name, word, out.String(), a[0])
				}
			}
		}
		for _, a := range l.actions {
			args := append([]string{name}, strings.Fields(a[0])[0], "-h")
			if a[0] == "(none)" {
				args = []string{name, "-h"}
			}
			var err error
			captureStderr(t, func() { err = run(context.Background(), args, &bytes.Buffer{}) })
			if !errors.Is(err, flag.ErrHelp) {
				t.Errorf("%v: err = %v, want flag.ErrHelp (the action's flags printed)", args, err)
			}
		}
		err := run(context.Background(), []string{name, "bogus"}, &bytes.Buffer{})
		if err == nil || exitCode(err) == 0 {
			t.Errorf("%s bogus: err = %v, want a failure", name, err)
			continue
		}
		for _, a := range l.actions {
			if w := strings.Fields(a[0])[0]; w != "(none)" && !strings.Contains(err.Error(), w) {
				t.Errorf("%s bogus: %v; want it to name %q", name, err, w)
			}
		}
	}
	if _, err := os.Stat(never); !os.IsNotExist(err) {
		t.Fatalf("a help or an unknown action opened the database %s (stat err %v)", never, err)
	}
}
