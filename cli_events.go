package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/switchboard-gw/switchboard/webhooks"
)

func cmdEvents(ctx context.Context, args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "erase" {
		return eventsErase(ctx, args[1:], out)
	}
	if len(args) == 0 || args[0] != "list" {
		return errors.New("events: want list or erase")
	}
	fs := flag.NewFlagSet("events list", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	unrouted := fs.Bool("unrouted", false, "only events no tenant owns yet (null or unknown sourceId)")
	limit := fs.Int("limit", 50, "how many events, newest first")
	grouped := fs.Bool("grouped", false, "with --unrouted: one line per sourceId (count, first/last seen, tenant now owning it)")
	revisions := fs.Bool("revisions", false, "only re-fired revisions (same sourceId, meetingCode and event, new content)")
	meeting := fs.String("meeting-code", "", "only this meetingCode (every source's revisions of it; SOURCE_ID tells the chains apart)")
	source := fs.String("source-id", "", "only this sourceId (with --meeting-code: one chain of revisions)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	db, err := openMigratedDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	if *grouped {
		return printUnroutedGroups(ctx, db, *limit, out)
	}
	evs, _, err := webhooks.NewStore(db.Gorm).ListEvents(ctx, webhooks.EventFilter{Unrouted: *unrouted, Revisions: *revisions, MeetingCode: *meeting,
		SourceID: *source, Limit: *limit})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tEVENT\tMEETING_CODE\tSOURCE_ID\tTENANT\tREVISION\tDUPLICATES")
	for _, e := range evs {
		src, tenant := "(null)", "unrouted"
		if e.SourceID != nil {
			src = *e.SourceID
		}
		if e.TenantID != nil {
			tenant = fmt.Sprint(*e.TenantID)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", e.ID, e.ReceivedAt.UTC().Format(time.RFC3339), e.EventType,
			e.MeetingCode, src, tenant, e.Revision, e.Duplicates)
	}
	return tw.Flush()
}

// eventsErase erases one interview's personal data (--meeting-code), or
// every interview of the tenant whose candidate name matches
// (--candidate-name), as POST /api/v1/tenants/:tenant/erasures does;
// --dry-run lists and counts only. Each erased meetingCode is audited as
// event.erase by cli.
func eventsErase(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("events erase", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	tenant := fs.Int64("tenant", 0, "tenant id (required)")
	code := fs.String("meeting-code", "", "the interview to erase (every revision, event type and source)")
	name := fs.String("candidate-name", "", "erase every interview of the tenant whose candidate name is this (exact, ignoring case)")
	dry := fs.Bool("dry-run", false, "list the meetingCodes and count what would be erased; erase nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tenant <= 0 {
		return errors.New("--tenant is required")
	}
	if (*code == "") == (*name == "") {
		return errors.New("name one of --meeting-code or --candidate-name")
	}
	db, err := openMigratedDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := webhooks.NewEraser(db.Gorm).Erase(ctx, webhooks.EraseRequest{TenantID: *tenant, MeetingCode: *code,
		CandidateName: *name, DryRun: *dry, By: cliAuditActor + " (" + cliOrigin() + ")"})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEETING_CODE\tEVENTS\tALREADY_ERASED\tDELIVERIES\tCANCELLED\tCORRELATIONS\tRECORDING_LINKS\tAUDIT_ENTRIES")
	for _, er := range res.Erasures {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", er.MeetingCode, er.Events, er.AlreadyErased, er.Deliveries,
			er.Cancelled, er.Correlations, er.RecordingLinks, er.AuditEntries)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case len(res.Erasures) == 0:
		fmt.Fprintln(out, "No interview of this tenant has that candidate name.")
		return nil
	case res.DryRun:
		fmt.Fprintln(out, "Dry run: nothing erased.")
		return nil
	}
	for _, er := range res.Erasures {
		if err := recordCLI(ctx, db, "event.erase", *tenant, "interview:"+er.MeetingCode, nil, webhooks.ErasureAudit(*name != "", er)); err != nil {
			return err
		}
	}
	return nil
}
