// Command switchboard is a multi-tenant webhook gateway: it receives
// Boooply's platform-wide interview webhook stream, routes each event by
// sourceId to a tenant, and forwards it to that tenant's endpoints with
// retries and a record of every attempt.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand; tests call it directly.
type command func(ctx context.Context, args []string, out io.Writer) error

var commands = map[string]command{
	"serve":       cmdServe,
	"migrate":     cmdMigrate,
	"tenants":     cmdTenants,
	"endpoints":   cmdEndpoints,
	"events":      cmdEvents,
	"version":     cmdVersion,
	"healthcheck": cmdHealthcheck,
	"deliveries":  cmdDeliveries,

	// Endpoint mappings and correlation records (routing/).
	"mapping":      cmdMapping,
	"correlations": cmdCorrelations,
	"users":        cmdUsers,
	"sources":      cmdSources,
	"keys":         cmdKeys,
	"demo":         cmdDemo,
	"loadtest":     cmdLoadtest,
}

const usage = `Usage: switchboard [COMMAND] [FLAGS]

Commands:
  serve                    run the gateway (the default)
  migrate [status|down --to VERSION]
                           apply database migrations, list them, or roll ours back
  tenants create|import|list|show|update|pause|resume|disable|delete|deliver-held
                           manage tenants and their held events
  endpoints add|update|remove|list|rotate-secret
                           manage a tenant's endpoints
  events list|erase        list inbound events; erase an interview's personal data
  deliveries list|show|retry|bulk-retry|replay|test|enable-endpoint
                           inspect and act on deliveries
  mapping set|show|versions|diff|restore|preview|presets|ops
                           endpoint payload mappings
  correlations set|show|import
                           a tenant's meetingCode → ATS ids records
  users create|list|disable|enable|set-role
                           manage accounts
  sources create|list|rotate|delete  manage inbound sources and their secrets
  keys reseal              re-seal stored secrets under the current SWITCHBOARD_SECRET_KEY after a rotation
  version                  print the version
  healthcheck              exit 0 when the local server's /healthz answers
  demo                     run with two demo tenants, a built-in receiver and replayed samples
  loadtest [compare|querybench]  measure ingest and delivery against baselines, compare two reports, or time delivery-log queries

Run "switchboard COMMAND -h" for a command's actions or flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
	}
	os.Exit(exitCode(err))
}

// exitCode is 0 for success and for -h (the flag package has printed the
// flags, as asked), 1 for any other error.
func exitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

// run dispatches to a subcommand; with no arguments (or only flags) it serves.
func run(ctx context.Context, args []string, out io.Writer) error {
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	} else if len(args) > 0 && isHelpFlag(args[0]) {
		// "switchboard -h": the commands first, then serve's flags (the default command).
		fmt.Fprint(out, usage+"\nFlags of serve (the default command):\n")
	}
	if name == "help" {
		fmt.Fprint(out, usage)
		return nil
	}
	cmd, ok := commands[name]
	if !ok {
		return fmt.Errorf("unknown command %q\n\n%s", name, usage)
	}
	if actionHelp(name, args, out) {
		return nil
	}
	return cmd(ctx, args, out)
}

func isHelpFlag(a string) bool {
	return a == "-h" || a == "-help" || a == "--help" || a == "--h"
}

func cmdVersion(_ context.Context, args []string, out io.Writer) error {
	if err := parseFlags(flag.NewFlagSet("version", flag.ContinueOnError), args); err != nil {
		return err
	}
	_, err := fmt.Fprintln(out, "switchboard", version)
	return err
}
