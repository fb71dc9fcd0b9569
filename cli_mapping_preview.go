package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// problemAs returns a validation error's details as field/reason pairs.
func problemAs(err error) ([][2]string, bool) {
	p, ok := problem.As(err)
	if !ok {
		return nil, false
	}
	out := make([][2]string, len(p.Details))
	for i, d := range p.Details {
		out[i] = [2]string{d.Field, d.Reason}
	}
	return out, true
}

func mappingDiff(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mapping diff", flag.ContinueOnError)
	ef := addMappingTarget(fs)
	from := fs.Int("from", 0, "older version number (required)")
	to := fs.Int("to", 0, "newer version number (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, store, err := ef.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := store.FindVersion(ctx, *ef.tenant, *ef.endpoint, *from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	b, err := store.FindVersion(ctx, *ef.tenant, *ef.endpoint, *to)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	_, err = io.WriteString(out, routing.Diff(a.Spec, b.Spec))
	return err
}

func mappingRestore(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mapping restore", flag.ContinueOnError)
	ef := addMappingTarget(fs)
	version := fs.Int("version", 0, "version number to bring back (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, store, err := ef.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := store.RestoreVersion(ctx, *ef.tenant, *ef.endpoint, *version, "cli")
	if err != nil {
		return err
	}
	after := mappingAudit(v.Number, v.ID, v.Spec)
	after["restored_from"] = *version
	if err := recordCLI(ctx, db, "mapping.restore", *ef.tenant, auditTarget("endpoint", *ef.endpoint), nil, after); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "restored version %d as version %d (id %d)\n", *version, v.Number, v.ID)
	return err
}

func mappingPreview(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mapping preview", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	file := fs.String("file", "", "draft mapping JSON file (- for stdin)")
	preset := fs.String("preset", "", "preview a built-in preset")
	sample := fs.String("sample", "", "transcript, evaluation, scores or recording")
	eventID := fs.Int64("event-id", 0, "a stored event instead of a sample")
	rawURL := fs.String("url", "", "endpoint URL template to fill, e.g. https://ats.example/c/{{correlation.candidate_id}}")
	var corr stringList
	fs.Var(&corr, "correlation", "KEY=VALUE standing in for the correlation record; repeat")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	spec, err := readMapping(*file, *preset)
	if err != nil {
		return err
	}
	req := routing.PreviewRequest{Mapping: spec, Sample: *sample, EventID: *eventID, URL: *rawURL}
	if req.Correlation, err = parsePairs(corr); err != nil {
		return err
	}
	var events routing.EventFunc
	var corrs routing.CorrelationFunc
	if *eventID > 0 {
		db, err := openMigratedDB(ctx, *dbf.url)
		if err != nil {
			return err
		}
		defer db.Close()
		events, corrs = storedEvents(db.Gorm), routing.NewStore(db.Gorm).CorrelationFunc()
	}
	res, err := routing.Preview(ctx, req, webhooks.Sample, events, corrs, nil)
	if err != nil {
		return problemText(err)
	}
	if !res.OK {
		var b strings.Builder
		b.WriteString("the mapping fails on this input:")
		for _, d := range res.Errors {
			fmt.Fprintf(&b, "\n  %s: %s", d.Field, d.Reason)
		}
		return errors.New(b.String())
	}
	if res.URL != "" {
		fmt.Fprintln(out, "URL:", res.URL)
	}
	return writeIndented(out, res.Output)
}

// parsePairs reads KEY=VALUE flags into a map.
func parsePairs(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want KEY=VALUE", p)
		}
		out[k] = v
	}
	return out, nil
}

func mappingPresets(_ context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mapping presets", flag.ContinueOnError)
	name := fs.String("name", "", "print this preset's mapping and endpoint advice")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name != "" {
		p, ok := routing.FindPreset(*name)
		if !ok {
			return fmt.Errorf("no preset %q", *name)
		}
		fmt.Fprintf(out, "%s\n\n%s\n\nsubscriptions: %v\nurl: %s\nauth: %s\nheaders: %v\n\n", p.Title, p.Description, p.Subscriptions, p.URL, p.Auth, p.Headers)
		return writeIndented(out, p.Mapping)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSUBSCRIBES\tTITLE")
	for _, p := range routing.Presets() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, strings.Join(p.Subscriptions, ","), p.Title)
	}
	return tw.Flush()
}

func mappingOps(_ context.Context, args []string, out io.Writer) error {
	if err := parseFlags(flag.NewFlagSet("mapping ops", flag.ContinueOnError), args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USAGE\tWHAT IT DOES")
	for _, o := range routing.Ops() {
		fmt.Fprintf(tw, "%s\t%s\n", o.Usage, o.Help)
	}
	return tw.Flush()
}
