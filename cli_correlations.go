package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/switchboard-gw/switchboard/routing"
)

func cmdCorrelations(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("correlations: want set, show or import")
	}
	switch args[0] {
	case "set":
		return correlationsSet(ctx, args[1:], out)
	case "show":
		return correlationsShow(ctx, args[1:], out)
	case "import":
		return correlationsImport(ctx, args[1:], out)
	}
	return fmt.Errorf("correlations: unknown action %q (want set, show or import)", args[0])
}

func correlationsSet(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("correlations set", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	tenant := fs.Int64("tenant", 0, "tenant id (required)")
	code := fs.String("meeting-code", "", "Boooply meetingCode (required)")
	var attrs stringList
	fs.Var(&attrs, "attr", "KEY=VALUE, e.g. candidate_id=123; repeat")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := parsePairs(attrs)
	if err != nil {
		return err
	}
	return putCorrelations(ctx, *dbf.url, *tenant, map[string]map[string]string{*code: m}, out)
}

// putCorrelations writes records (meetingCode → attributes) for tenant.
func putCorrelations(ctx context.Context, url string, tenant int64, recs map[string]map[string]string, out io.Writer) error {
	if tenant <= 0 {
		return errors.New("--tenant is required")
	}
	db, err := openMigratedDB(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := routing.NewStore(db.Gorm).PutCorrelations(ctx, tenant, recs)
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(recs))
	for code := range recs {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	after := map[string]any{"saved": n, "meeting_codes": codes}
	if err := recordCLI(ctx, db, "correlation.bulk_put", tenant, auditTarget("tenant", tenant), nil, after); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "saved %d correlation record(s)\n", n)
	return err
}

func correlationsShow(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("correlations show", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	tenant := fs.Int64("tenant", 0, "tenant id (required)")
	code := fs.String("meeting-code", "", "Boooply meetingCode (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := openMigratedDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	rec, err := routing.NewStore(db.Gorm).FindCorrelation(ctx, *tenant, *code)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(rec)
	return writeIndented(out, b)
}

// correlationsImport reads {"<meetingCode>": {"candidate_id": "…"}, …}.
func correlationsImport(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("correlations import", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	tenant := fs.Int64("tenant", 0, "tenant id (required)")
	file := fs.String("file", "", `JSON object {"<meetingCode>": {"candidate_id": "…"}, …} (required)`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var recs map[string]map[string]string
	if err := json.Unmarshal(b, &recs); err != nil {
		return fmt.Errorf("%s: want a JSON object of meetingCode → {name: id}: %w", *file, err)
	}
	return putCorrelations(ctx, *dbf.url, *tenant, recs, out)
}
