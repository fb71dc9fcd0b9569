package main

import (
	"bytes"
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

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/routing"
)

const mappingUsage = "mapping: want set, show, versions, diff, restore, preview, presets or ops"

func cmdMapping(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(mappingUsage)
	}
	actions := map[string]command{
		"set": mappingSet, "show": mappingShow, "versions": mappingVersions, "diff": mappingDiff,
		"restore": mappingRestore, "preview": mappingPreview, "presets": mappingPresets, "ops": mappingOps,
	}
	fn, ok := actions[args[0]]
	if !ok {
		return fmt.Errorf("%s (not %q)", mappingUsage, args[0])
	}
	return fn(ctx, args[1:], out)
}

// mappingTarget is --tenant and --endpoint plus the database flags.
type mappingTarget struct {
	db               dbFlags
	tenant, endpoint *int64
}

func addMappingTarget(fs *flag.FlagSet) mappingTarget {
	return mappingTarget{db: addDBFlags(fs), tenant: fs.Int64("tenant", 0, "tenant id (required)"),
		endpoint: fs.Int64("endpoint", 0, "endpoint id (required)")}
}

// open checks the flags and opens the migrated database.
func (f mappingTarget) open(ctx context.Context) (*database.DB, *routing.Store, error) {
	if *f.tenant <= 0 || *f.endpoint <= 0 {
		return nil, nil, errors.New("--tenant and --endpoint are required")
	}
	db, err := openMigratedDB(ctx, *f.db.url)
	if err != nil {
		return nil, nil, err
	}
	return db, routing.NewStore(db.Gorm), nil
}

// readMapping reads a mapping from --file (- for stdin) or --preset.
func readMapping(file, preset string) ([]byte, error) {
	switch {
	case file != "" && preset != "":
		return nil, errors.New("give --file or --preset, not both")
	case preset != "":
		p, ok := routing.FindPreset(preset)
		if !ok {
			return nil, fmt.Errorf("no preset %q (see: switchboard mapping presets)", preset)
		}
		return p.Mapping, nil
	case file == "-":
		return io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	case file != "":
		return os.ReadFile(file)
	}
	return nil, errors.New("--file (or --preset) is required")
}

func mappingSet(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mapping set", flag.ContinueOnError)
	ef := addMappingTarget(fs)
	file := fs.String("file", "", "mapping JSON file (- for stdin)")
	preset := fs.String("preset", "", "start from a built-in preset instead of a file")
	comment := fs.String("comment", "", "what changed and why")
	author := fs.String("author", os.Getenv("USER"), "who saves it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	spec, err := readMapping(*file, *preset)
	if err != nil {
		return err
	}
	m, err := routing.ParseMapping(spec)
	if err != nil {
		return problemText(err)
	}
	db, store, err := ef.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := store.CreateVersion(ctx, *ef.tenant, *ef.endpoint, m, *author, *comment)
	if err != nil {
		return problemText(err)
	}
	if err := recordCLI(ctx, db, "mapping.save", *ef.tenant, auditTarget("endpoint", *ef.endpoint), nil, mappingAudit(v.Number, v.ID, v.Spec)); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "saved version %d (id %d)\n", v.Number, v.ID)
	return err
}

// problemText spells out every detail of a validation error.
func problemText(err error) error {
	var b strings.Builder
	b.WriteString(err.Error())
	if p, ok := problemAs(err); ok && len(p) > 1 {
		for _, d := range p {
			fmt.Fprintf(&b, "\n  %s: %s", d[0], d[1])
		}
	}
	return errors.New(b.String())
}

func mappingShow(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mapping show", flag.ContinueOnError)
	ef := addMappingTarget(fs)
	version := fs.Int("version", 0, "version number (default: the current one)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, store, err := ef.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var v *routing.MappingVersion
	if *version > 0 {
		v, err = store.FindVersion(ctx, *ef.tenant, *ef.endpoint, *version)
	} else {
		v, err = store.CurrentVersion(ctx, *ef.tenant, *ef.endpoint)
		if errors.Is(err, routing.ErrNoMapping) {
			// As the API answers: no version yet forwards events unchanged.
			spec, err := json.Marshal(routing.Mapping{Mode: routing.ModePassthrough})
			if err != nil {
				return err
			}
			return writeIndented(out, spec)
		}
	}
	if err != nil {
		return err
	}
	return writeIndented(out, []byte(v.Spec))
}

func writeIndented(out io.Writer, b []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		buf.Reset()
		buf.Write(b)
	}
	buf.WriteByte('\n')
	_, err := out.Write(buf.Bytes())
	return err
}

func mappingVersions(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mapping versions", flag.ContinueOnError)
	ef := addMappingTarget(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, store, err := ef.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	vs, err := store.ListVersions(ctx, *ef.tenant, *ef.endpoint)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tID\tSAVED\tAUTHOR\tMODE\tCOMMENT")
	for i, v := range vs {
		m, _ := v.Mapping()
		mode := "?"
		if m != nil {
			mode = string(m.Mode)
		}
		if i == 0 {
			mode += " (current)"
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\n", v.Number, v.ID, v.CreatedAt.UTC().Format(time.RFC3339), v.Author, mode, v.Comment)
	}
	return tw.Flush()
}
