package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// actionList is what "switchboard COMMAND -h" prints for a command that
// takes an action: one line per action, as the README's Commands table
// describes them. "COMMAND ACTION -h" prints that action's flags.
type actionList struct {
	// usage follows "Usage: switchboard COMMAND ".
	usage string
	// defaultFlags names what runs without an action ("" when an action is
	// required): its flags follow the list on -h, as serve's follow the
	// commands on "switchboard -h".
	defaultFlags string
	actions      [][2]string // {action and its arguments, what it does}
}

// actionLists are the commands that take an action, by name.
var actionLists = map[string]actionList{
	"migrate": {usage: "[ACTION] [FLAGS]", defaultFlags: "migrate up (the default action)", actions: [][2]string{
		{"up", "apply pending migrations (the default)"},
		{"status", "list every migration and whether it is applied"},
		{"down --to VERSION", "roll Switchboard's migrations back until VERSION is the newest applied"},
	}},
	"tenants": {usage: "ACTION [FLAGS]", actions: [][2]string{
		{"create", "create a tenant with its endpoints; prints its id"},
		{"import", "create every tenant of a JSON file, all or none"},
		{"list", "tenants with their status and endpoints, a page at a time"},
		{"show", "a tenant and its endpoints"},
		{"update", "change a tenant's name, sourceId, notes or secrets"},
		{"pause", "record the tenant's events, hold its deliveries"},
		{"resume", "deliver again, the held deliveries first"},
		{"disable", "record the tenant's events, never deliver them"},
		{"delete", "delete a tenant that never received an event"},
		{"deliver-held", "attach the unrouted events of the tenant's sourceId and deliver them"},
	}},
	"endpoints": {usage: "ACTION [FLAGS]", actions: [][2]string{
		{"add", "add an endpoint; prints its signing secret once"},
		{"update", "change only the flags given"},
		{"remove", "remove an endpoint without deliveries"},
		{"list", "a tenant's endpoints"},
		{"rotate-secret", "new signing secret, printed once; the previous one signs for the overlap"},
	}},
	"events": {usage: "ACTION [FLAGS]", actions: [][2]string{
		{"list", "inbound events, newest first (--unrouted: only those no tenant owns yet)"},
		{"erase", "erase an interview's personal data (--meeting-code, or --candidate-name [--dry-run])"},
	}},
	"deliveries": {usage: "ACTION [ID] [FLAGS]", actions: [][2]string{
		{"list", "deliveries newest first, filtered, a page at a time"},
		{"show ID", "one delivery as JSON, with its attempts"},
		{"retry ID", "start a new round of attempts for a failed delivery"},
		{"bulk-retry", "retry every failed delivery of a tenant or endpoint"},
		{"replay", "send an event to an endpoint again, with its current mapping"},
		{"test", "deliver a Boooply sample as a test event"},
		{"enable-endpoint", "re-enable an endpoint (--redeliver: retry what failed while it was down)"},
	}},
	"mapping": {usage: "ACTION [FLAGS]", actions: [][2]string{
		{"set", "save a new mapping version for an endpoint"},
		{"show", "the current (or --version N) mapping"},
		{"versions", "an endpoint's mapping versions"},
		{"diff", "a line diff of two versions"},
		{"restore", "save a copy of an old version as the current one"},
		{"preview", "render a draft on a sample or a stored event"},
		{"presets", "the built-in presets"},
		{"ops", "every rule operation with its usage"},
	}},
	"correlations": {usage: "ACTION [FLAGS]", actions: [][2]string{
		{"set", "write a meetingCode's ATS ids"},
		{"show", "read a meetingCode's ATS ids"},
		{"import", "load a JSON file of meetingCodes and their ATS ids"},
	}},
	"users": {usage: "ACTION [FLAGS]", actions: [][2]string{
		{"create", "create an account"},
		{"list", "accounts with role, tenant scope, status and last sign-in"},
		{"disable", "disable an account (signs it out everywhere)"},
		{"enable", "enable an account again"},
		{"set-role", "change an account's role"},
	}},
	"sources": {usage: "ACTION [FLAGS]", actions: [][2]string{
		{"create", "add an inbound source; prints its secret once"},
		{"list", "inbound sources (secret hints only)"},
		{"rotate", "add a new secret while the old ones stay valid for the overlap"},
		{"delete", "remove a source"},
	}},
	"keys": {usage: "ACTION [FLAGS]", actions: [][2]string{
		{"reseal", "seal every stored secret again under the current SWITCHBOARD_SECRET_KEY"},
	}},
	"loadtest": {usage: "[ACTION] [FLAGS]", defaultFlags: "loadtest (no action: run a load test)", actions: [][2]string{
		{"(none)", "load-test a server it starts (--spawn) or a running one (--target)"},
		{"compare OLD.json NEW.json", "each figure of two load-test reports side by side"},
		{"querybench", "fill a scratch database with deliveries and time the delivery-log searches"},
	}},
}

// print writes name's action list to out.
func (l actionList) print(out io.Writer, name string) {
	fmt.Fprintf(out, "Usage: switchboard %s %s\n\nActions:\n", name, l.usage)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, a := range l.actions {
		fmt.Fprintf(tw, "  %s\t%s\n", a[0], a[1])
	}
	tw.Flush()
	fmt.Fprintf(out, "\nRun \"switchboard %s ACTION -h\" for an action's flags.\n", name)
}

// actionHelp answers "COMMAND -h", "COMMAND --help" and "COMMAND help" for
// a command that takes an action: it prints the actions and reports done.
// For a command that runs something without an action (migrate, loadtest)
// -h then goes on to print those flags (done is false: the command parses
// the -h itself and returns flag.ErrHelp).
func actionHelp(name string, args []string, out io.Writer) (done bool) {
	l, ok := actionLists[name]
	if !ok || len(args) == 0 || (!isHelpFlag(args[0]) && args[0] != "help") {
		return false
	}
	l.print(out, name)
	if args[0] == "help" || l.defaultFlags == "" {
		return true
	}
	fmt.Fprintf(out, "\nFlags of %s:\n", l.defaultFlags)
	return false
}
