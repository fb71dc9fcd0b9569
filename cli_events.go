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
	if len(args) == 0 || args[0] != "list" {
		return errors.New("events: want list")
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
