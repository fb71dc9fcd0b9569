package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboard-gw/switchboard/loadtest"
)

// cmdQueryBench is `switchboard loadtest querybench`: fill a scratch database
// with deliveries and time the delivery-log searches, printing their plans.
func cmdQueryBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadtest querybench", flag.ContinueOnError)
	dbURL := fs.String("database-url", "", "a scratch database to fill (required; it keeps the rows)")
	qb := loadtest.QueryBench{Log: os.Stderr, RunID: randomHex(3)}
	fs.IntVar(&qb.Deliveries, "deliveries", 1_000_000, "delivery rows to add")
	fs.IntVar(&qb.Tenants, "tenants", 1000, "tenants the rows spread over")
	fs.IntVar(&qb.Endpoints, "endpoints", 2, "endpoints per tenant (events = deliveries / endpoints)")
	fs.Float64Var(&qb.BigShare, "big-tenant-share", 0.2, "share of meetings owned by one big tenant")
	fs.IntVar(&qb.Runs, "runs", 100, "timed searches per query kind")
	fs.IntVar(&qb.Pages, "pages", 3, "keyset pages followed per search")
	fs.IntVar(&qb.PageSize, "page-size", 50, "rows per page")
	without := fs.String("compare-without-index", "", "also time the queries with this index dropped (in a rolled-back transaction)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	allowRemote := fs.Bool("allow-remote", false, "allow a database that is not on loopback")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *dbURL == "":
		return errors.New("querybench: --database-url is required (use a scratch database)")
	case qb.Deliveries < 1 || qb.Deliveries > 10_000_000 || qb.Tenants < 1 || qb.Endpoints < 1 || qb.Runs < 1 || qb.Pages < 1 || qb.PageSize < 1:
		return errors.New("querybench: deliveries 1..10000000; tenants, endpoints, runs, pages, page size ≥ 1")
	}
	if err := (&loadtestFlags{allowRemote: *allowRemote, opts: loadtest.Options{DatabaseURL: *dbURL}}).checkLoopback(""); err != nil {
		return err
	}
	db, err := openMigratedDB(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	state, err := qb.Fill(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "filled %d deliveries in %.1fs\n", qb.Deliveries, time.Since(start).Seconds())
	res, err := qb.Run(ctx, db, state)
	if err != nil {
		return err
	}
	var resWithout []loadtest.QueryResult
	if *without != "" {
		if resWithout, err = qb.RunWithout(ctx, db, state, *without); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"schema_version": loadtest.SchemaVersion, "git_describe": loadtest.GitDescribe(version),
			"machine": loadtest.ReadMachine(), "dialect": string(db.Dialect), "deliveries_added": qb.Deliveries, "queries": res,
			"without_index": *without, "queries_without_index": resWithout})
	}
	if err := writeQueryBench(out, res); err != nil || resWithout == nil {
		return err
	}
	fmt.Fprintf(out, "\n== the same searches without index %s ==\n", *without)
	return writeQueryBench(out, resWithout)
}

func writeQueryBench(out io.Writer, res []loadtest.QueryResult) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUERY\tPAGES\tROWS\tP50 MS\tP95 MS\tP99 MS\tMAX MS")
	for _, r := range res {
		t := r.Timings
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\n", r.Name, t.Count, r.Rows, t.P50, r.P95, t.P99, t.Max)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range res {
		fmt.Fprintf(out, "\n-- %s\n%s\n%s\n", r.Name, r.SQL, indent(r.Plan))
	}
	return nil
}

func indent(s string) string {
	return "   " + strings.ReplaceAll(s, "\n", "\n   ")
}
