package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/switchboard-gw/switchboard/database"
)

// openDB opens (without migrating) the database a CLI subcommand works on.
func openDB(ctx context.Context, url string) (*database.DB, error) {
	return database.Open(ctx, url)
}

// openMigratedDB opens the database and applies pending migrations, so CLI
// commands work on a fresh machine before serve ever ran. Creating a SQLite
// file is said on cliNotices.
func openMigratedDB(ctx context.Context, url string) (*database.DB, error) {
	fresh := missingSQLiteFile(url)
	db, err := openOwnDB(ctx, url)
	if err != nil {
		return nil, err
	}
	if fresh != "" {
		fmt.Fprintf(cliNotices, "switchboard: there was no database at %s; created an empty one (check --database-url if you expected your data)\n", fresh)
	}
	return db, nil
}

// openOwnDB is openMigratedDB for a database the command itself chose (the
// demo's and the load tool's folders): creating it is no news.
func openOwnDB(ctx context.Context, url string) (*database.DB, error) {
	db, err := openDB(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, nil); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// cliNotices receives what a command tells the operator beside its output.
var cliNotices io.Writer = os.Stderr

// missingSQLiteFile is the path of url's SQLite file when it doesn't exist
// yet (opening it creates it), else "": a mistyped --database-url would
// otherwise quietly create an empty database and write there.
func missingSQLiteFile(url string) string {
	path, ok := strings.CutPrefix(url, "sqlite:")
	if !ok || path == "" {
		return ""
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return path
	}
	return ""
}

// migrateActions are the words `switchboard migrate` takes ("" means up).
var migrateActions = map[string]bool{"": true, "up": true, "status": true, "down": true}

func cmdMigrate(ctx context.Context, args []string, out io.Writer) error {
	// The action comes first ("migrate status --database-url …"): the flag
	// package stops at the first non-flag, so flags after it would otherwise
	// be ignored and the default database migrated or listed instead.
	action := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	if !migrateActions[action] {
		return fmt.Errorf("migrate: unknown action %q (want up, status or down)", action)
	}
	fs := flag.NewFlagSet(strings.TrimSpace("migrate "+action), flag.ContinueOnError)
	dbf := addDBFlags(fs)
	var to *int64
	if action == "down" {
		to = fs.Int64("to", 0, "roll Switchboard's migrations back until this version is the newest applied (required)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		if action != "" {
			return fmt.Errorf("migrate %s: unexpected argument %q", action, fs.Arg(0))
		}
		action = fs.Arg(0) // "migrate --database-url … status"
		if (action != "up" && action != "status") || fs.NArg() > 1 {
			return fmt.Errorf("migrate: unexpected arguments %q (want up or status; down takes its flags after it)", fs.Args())
		}
	}
	if action == "down" && !flagSet(fs, "to") {
		return errors.New("migrate down: --to VERSION is required (the version to go back to; see migrate status)")
	}
	db, err := openDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	switch action {
	case "", "up":
		if err := db.Migrate(ctx, out); err != nil {
			return err
		}
		_, err := fmt.Fprintln(out, "database is up to date:", db.Where)
		return err
	case "down":
		if err := db.MigrateDown(ctx, *to, out); err != nil {
			return err
		}
		_, err := fmt.Fprintf(out, "switchboard migrations are at version %d: %s\n", *to, db.Where)
		return err
	case "status":
		return printMigrationStatus(ctx, db, out)
	}
	return fmt.Errorf("migrate: unknown action %q (want up, status or down)", action)
}

func printMigrationStatus(ctx context.Context, db *database.DB, out io.Writer) error {
	st, err := db.Status(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tVERSION\tNAME\tSTATE")
	for _, s := range st {
		state := "pending"
		if s.Applied {
			state = "applied"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Component, s.Version, s.Name, state)
	}
	return tw.Flush()
}

// flagSet reports whether the command line named flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
