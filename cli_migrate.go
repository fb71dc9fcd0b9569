package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/switchboard-gw/switchboard/database"
)

// openDB opens (without migrating) the database a CLI subcommand works on.
func openDB(ctx context.Context, url string) (*database.DB, error) {
	return database.Open(ctx, url)
}

// openMigratedDB opens the database and applies pending migrations, so CLI
// commands work on a fresh machine before serve ever ran.
func openMigratedDB(ctx context.Context, url string) (*database.DB, error) {
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

func cmdMigrate(ctx context.Context, args []string, out io.Writer) error {
	// The action comes first ("migrate status --database-url …"): the flag
	// package stops at the first non-flag, so flags after it would otherwise
	// be ignored and the default database migrated or listed instead.
	action := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	if action != "" && action != "up" && action != "status" {
		return fmt.Errorf("migrate: unknown action %q (want up or status)", action)
	}
	fs := flag.NewFlagSet("migrate "+action, flag.ContinueOnError)
	dbf := addDBFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		if action != "" {
			return fmt.Errorf("migrate %s: unexpected argument %q", action, fs.Arg(0))
		}
		action = fs.Arg(0) // "migrate --database-url … status"
		if (action != "up" && action != "status") || fs.NArg() > 1 {
			return fmt.Errorf("migrate: unexpected arguments %q (want up or status)", fs.Args())
		}
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
	case "status":
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
	return fmt.Errorf("migrate: unknown action %q (want up or status)", action)
}
