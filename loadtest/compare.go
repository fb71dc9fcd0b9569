package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
)

// ReadReport loads a report written with --json or --json-out.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not a loadtest report: %w", path, err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schema version %d, this tool reads %d", path, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}

// metric is one comparable figure of a phase; higher says whether more is better.
type metric struct {
	name   string
	higher bool
	get    func(p *PhaseReport) (float64, bool)
}

func always(f func(p *PhaseReport) float64) func(p *PhaseReport) (float64, bool) {
	return func(p *PhaseReport) (float64, bool) { return f(p), true }
}

func delivery(f func(d *DeliveryReport) float64) func(p *PhaseReport) (float64, bool) {
	return func(p *PhaseReport) (float64, bool) {
		if p.Delivery == nil {
			return 0, false
		}
		return f(p.Delivery), true
	}
}

// serverFigure is a figure of the server's own account, when the report has one.
func serverFigure(p *PhaseReport, f func(s *ServerAck) float64) (float64, bool) {
	if p.ServerAck == nil {
		return 0, false
	}
	return f(p.ServerAck), true
}

var metrics = []metric{
	{"acked/s", true, always(func(p *PhaseReport) float64 { return p.AckedPerSec })},
	{"ack p50 ms", false, always(func(p *PhaseReport) float64 { return p.AckLatency.P50 })},
	{"ack p90 ms", false, always(func(p *PhaseReport) float64 { return p.AckLatency.P90 })},
	{"ack p99 ms", false, always(func(p *PhaseReport) float64 { return p.AckLatency.P99 })},
	{"ack max ms", false, always(func(p *PhaseReport) float64 { return p.AckLatency.Max })},
	{"server: ack p99 ms (buckets)", false, func(p *PhaseReport) (float64, bool) {
		v, ok := serverFigure(p, func(s *ServerAck) float64 { return s.AckP99Ms })
		return v, ok && v > 0 // reports before these percentiles have none
	}},
	{"server: commit mean ms", false, func(p *PhaseReport) (float64, bool) {
		return serverFigure(p, func(s *ServerAck) float64 { return s.CommitMeanMs })
	}},
	{"rejected + errors", false, always(func(p *PhaseReport) float64 { return float64(p.Rejected + p.Errors) })},
	{"deliveries/s", true, delivery(func(d *DeliveryReport) float64 { return d.DeliveriesPerSec })},
	{"lag p50 ms", false, delivery(func(d *DeliveryReport) float64 { return d.Lag.P50 })},
	{"lag p99 ms", false, delivery(func(d *DeliveryReport) float64 { return d.Lag.P99 })},
	// The isolation target: the other tenants' lag beside a slow one.
	{"lag p99 other tenants ms", false, delivery(func(d *DeliveryReport) float64 { return d.LagOthers.P99 })},
	{"missing", false, delivery(func(d *DeliveryReport) float64 { return float64(d.Missing) })},
	{"duplicates", false, delivery(func(d *DeliveryReport) float64 { return float64(d.DuplicatesByKey) })},
	{"bad signatures", false, delivery(func(d *DeliveryReport) float64 { return float64(d.BadSignatures) })},
	{"statements/event", false, func(p *PhaseReport) (float64, bool) { return p.StatementsPerEvent, p.StatementsPerEvent > 0 }},
	{"commits / stored event", false, func(p *PhaseReport) (float64, bool) {
		if p.DB == nil {
			return 0, false
		}
		return p.DB.CommitsPerEvent, true
	}},
	{"server CPU ms / stored event", false, func(p *PhaseReport) (float64, bool) {
		return p.ServerCPUMsPerEvent, p.ServerCPUMsPerEvent > 0
	}},
	{"PostgreSQL CPU ms / stored event", false, func(p *PhaseReport) (float64, bool) { return p.DBCPUMsPerEvent, p.DBCPUMsPerEvent > 0 }},
	{"load tool CPU ms / stored event", false, func(p *PhaseReport) (float64, bool) {
		return p.ToolCPUMsPerEvent, p.ToolCPUMsPerEvent > 0
	}},
	{"rss max MB", false, func(p *PhaseReport) (float64, bool) { return p.RSSMaxMB, p.RSSMaxMB > 0 }},
}

// Compare writes, for every phase both reports ran, each figure before and
// after with its change; "worse" marks a change of more than 10 % in the bad direction.
func Compare(w io.Writer, old, cur *Report) error {
	fmt.Fprintf(w, "old: %s %s (load avg %s)\nnew: %s %s (load avg %s)\n\n", old.GitDescribe, old.StartedAt.Format("2006-01-02 15:04"),
		old.Machine.LoadAvg, cur.GitDescribe, cur.StartedAt.Format("2006-01-02 15:04"), cur.Machine.LoadAvg)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tFIGURE\tOLD\tNEW\tCHANGE\t")
	for i := range cur.Phases {
		np := &cur.Phases[i]
		op := old.phase(np.Name)
		if op == nil {
			continue
		}
		for _, m := range metrics {
			a, okA := m.get(op)
			b, okB := m.get(np)
			if okA && okB {
				fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%s\t\n", np.Name, m.name, a, b, change(a, b, m.higher))
			}
		}
	}
	// Tenant creation and storage are measured once per run (the storage
	// target: close to the payload size).
	if old.TenantsCreateS > 0 && cur.TenantsCreateS > 0 {
		a, b := old.TenantsCreateS, cur.TenantsCreateS
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%s\t\n", "run", "tenants create s", a, b, change(a, b, false))
	}
	if old.Storage != nil && cur.Storage != nil {
		a, b := old.Storage.BytesPerEvent, cur.Storage.BytesPerEvent
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%s\t\n", "run", "bytes / stored event", a, b, change(a, b, false))
	}
	return tw.Flush()
}

// change renders b relative to a, flagging a regression beyond 10 %.
func change(a, b float64, higherIsBetter bool) string {
	if a == 0 {
		if b == 0 {
			return "="
		}
		return "new"
	}
	pct := (b - a) / a * 100
	s := fmt.Sprintf("%+.0f%%", pct)
	if (higherIsBetter && pct < -10) || (!higherIsBetter && pct > 10) {
		s += " worse"
	}
	return s
}
