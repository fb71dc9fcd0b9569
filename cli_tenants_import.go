package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
)

// importFile is what tenants import reads: the body of POST /api/v1/tenants/import.
type importFile struct {
	Tenants []tenants.TenantInput `json:"tenants"`
	DryRun  bool                  `json:"dry_run"`
}

// tenantsImport creates every tenant of a file, or none. Like tenants
// create it prints ids, not the endpoints' signing secrets: a terminal or
// a CI log is no place for a thousand of them (endpoints rotate-secret
// reveals a fresh one).
func tenantsImport(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenants import", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	file := fs.String("file", "", `JSON {"tenants":[{"name","source_id","notes","status","endpoints":[…]},…]}, as the API takes; - = stdin (required)`)
	dryRun := fs.Bool("dry-run", false, "validate (taken sourceIds included) and write nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	in, err := readImportFile(*file)
	if err != nil {
		return err
	}
	env, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer env.db.Close()
	if *dryRun || in.DryRun {
		if err := env.ed.CheckImport(ctx, in.Tenants); err != nil {
			return listProblems(err)
		}
		_, err := fmt.Fprintf(out, "%d tenants are valid; nothing was written (dry run)\n", len(in.Tenants))
		return err
	}
	created, err := env.ed.ImportTenants(ctx, in.Tenants)
	if err != nil {
		return listProblems(err)
	}
	if err := recordCLIAll(ctx, env.db, cliCreateChanges(created)); err != nil {
		return err
	}
	return printImported(out, created)
}

// readImportFile reads and strictly decodes path ("-" = stdin).
func readImportFile(path string) (importFile, error) {
	var in importFile
	var b []byte
	var err error
	switch path {
	case "":
		return in, errors.New("--file F is required (- reads stdin)")
	case "-":
		b, err = io.ReadAll(os.Stdin)
	default:
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return in, fmt.Errorf("read %s: %w", path, err)
	}
	if err := problem.DecodeJSON("application/json", b, &in); err != nil {
		return in, fmt.Errorf("%s: %w", path, err)
	}
	return in, nil
}

// listProblems spells out every refused field, one a line: the API's
// details, which a CLI error's one message would hide.
func listProblems(err error) error {
	p, ok := problem.As(err)
	if !ok || len(p.Details) < 2 {
		return err
	}
	lines := make([]string, len(p.Details))
	for i, d := range p.Details {
		lines[i] = "  " + d.Field + ": " + d.Reason
	}
	return fmt.Errorf("%s\n%s", p.Message, strings.Join(lines, "\n"))
}

// cliCreateChanges are the audit entries of imported tenants, shaped as
// tenants create records them, without the once-shown signing secrets.
func cliCreateChanges(created []tenants.Created) []auth.Change {
	out := make([]auth.Change, len(created))
	for i, ct := range created {
		views := make([]tenants.EndpointView, len(ct.Endpoints))
		for j, v := range ct.Endpoints {
			views[j] = cliEndpointView(v)
		}
		out[i] = auth.Change{Action: "tenant.create", TenantID: ct.Tenant.ID, Target: auditTarget("tenant", ct.Tenant.ID),
			After: map[string]any{"tenant": ct.Tenant, "endpoints": views}}
	}
	return out
}

// recordCLIAll records changes made by the CLI as recordCLI does, in one insert.
func recordCLIAll(ctx context.Context, db *database.DB, changes []auth.Change) error {
	entries := make([]auth.Entry, len(changes))
	for i, ch := range changes {
		e, err := cliEntry(ch)
		if err != nil {
			return err
		}
		entries[i] = e
	}
	return auth.NewStore(db.Gorm).RecordAll(ctx, entries)
}

// printImported lists the new tenants' ids, then how many endpoints got a
// signing secret and how to see one.
func printImported(out io.Writer, created []tenants.Created) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSOURCE_ID\tENDPOINTS")
	endpoints, signed := 0, 0
	for _, ct := range created {
		fmt.Fprintf(tw, "%d\t%s\t%d\n", ct.Tenant.ID, ct.Tenant.SourceID, len(ct.Endpoints))
		for _, v := range ct.Endpoints {
			endpoints++
			if v.SigningSecret.Set {
				signed++
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "imported %d tenants with %d endpoints, %d of them with a new signing secret (not printed: "+
		"endpoints rotate-secret --tenant ID --endpoint ID shows a fresh one)\n", len(created), endpoints, signed)
	return err
}
