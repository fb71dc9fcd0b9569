package loadtest

import (
	"fmt"
	"sort"
	"strings"
)

// tableRow is one line of the human table.
type tableRow struct {
	label string
	cell  func(p *PhaseReport) string
}

func num(n int64) string    { return fmt.Sprint(n) }
func msf(v float64) string  { return fmt.Sprintf("%.1f", v) }
func rate(v float64) string { return fmt.Sprintf("%.0f", v) }
func dash(ok bool, s string) string {
	if !ok {
		return "-"
	}
	return s
}

// deliveryCell renders a delivery figure, or "-" for phases without delivery.
func deliveryCell(f func(d *DeliveryReport) string) func(p *PhaseReport) string {
	return func(p *PhaseReport) string { return dash(p.Delivery != nil, safe(p.Delivery, f)) }
}

func safe(d *DeliveryReport, f func(d *DeliveryReport) string) string {
	if d == nil {
		return ""
	}
	return f(d)
}

// serverCell renders a figure of the server's own account, or "-".
func serverCell(f func(s *ServerAck) float64) func(p *PhaseReport) string {
	return func(p *PhaseReport) string {
		v, ok := serverFigure(p, f)
		return dash(ok, msf(v))
	}
}

func dbCell(f func(d *DBDelta) string) func(p *PhaseReport) string {
	return func(p *PhaseReport) string {
		if p.DB == nil {
			return "-"
		}
		return f(p.DB)
	}
}

var tableRows = []tableRow{
	{"sent", func(p *PhaseReport) string { return num(p.Sent) }},
	{"acked", func(p *PhaseReport) string { return num(p.Acked) }},
	{"acked (duplicate)", func(p *PhaseReport) string { return num(p.Duplicate) }},
	{"rejected", func(p *PhaseReport) string { return num(p.Rejected) + statuses(p.ByStatus) }},
	{"transport errors", func(p *PhaseReport) string { return num(p.Errors) }},
	{"skipped (client saturated)", func(p *PhaseReport) string { return num(p.Skipped) }},
	{"acked/s", func(p *PhaseReport) string { return rate(p.AckedPerSec) }},
	{"avg body bytes", func(p *PhaseReport) string { return rate(p.AvgBodyBytes) }},
	{"ack p50 ms", func(p *PhaseReport) string { return msf(p.AckLatency.P50) }},
	{"ack p90 ms", func(p *PhaseReport) string { return msf(p.AckLatency.P90) }},
	{"ack p99 ms", func(p *PhaseReport) string { return msf(p.AckLatency.P99) }},
	{"ack max ms", func(p *PhaseReport) string { return msf(p.AckLatency.Max) }},
	{"ack mean ms", func(p *PhaseReport) string { return msf(p.AckLatency.Mean) }},
	{"server: ack mean ms", serverCell(func(s *ServerAck) float64 { return s.AckMeanMs })},
	{"server: ack p50 ms (buckets)", serverCell(func(s *ServerAck) float64 { return s.AckP50Ms })},
	{"server: ack p99 ms (buckets)", serverCell(func(s *ServerAck) float64 { return s.AckP99Ms })},
	{"server: acks within 10 ms", func(p *PhaseReport) string {
		v, ok := serverFigure(p, func(s *ServerAck) float64 { return s.AckWithin10msShare })
		return dash(ok, fmt.Sprintf("%.2f %%", v*100))
	}},
	{"server: commit wait mean ms", serverCell(func(s *ServerAck) float64 { return s.CommitWaitMeanMs })},
	{"server: commit mean ms", serverCell(func(s *ServerAck) float64 { return s.CommitMeanMs })},
	{"server: commit wait p99 ms (buckets)", serverCell(func(s *ServerAck) float64 { return s.CommitWaitP99Ms })},
	{"server: commit p99 ms (buckets)", serverCell(func(s *ServerAck) float64 { return s.CommitP99Ms })},
	{"server: events / commit", serverCell(func(s *ServerAck) float64 { return s.EventsPerCommit })},
	{"delivered / expected", deliveryCell(func(d *DeliveryReport) string { return fmt.Sprintf("%d/%d", d.Delivered, d.Expected) })},
	{"missing after drain", deliveryCell(func(d *DeliveryReport) string { return fmt.Sprint(d.Missing) })},
	{"held by hanging endpoint", deliveryCell(func(d *DeliveryReport) string { return fmt.Sprint(d.HeldByHang) })},
	{"duplicates (code+event / webhook-id)", deliveryCell(func(d *DeliveryReport) string {
		return fmt.Sprintf("%d / %d", d.DuplicatesByKey, d.DuplicatesByID)
	})},
	{"bad signatures", deliveryCell(func(d *DeliveryReport) string { return fmt.Sprint(d.BadSignatures) })},
	{"deliveries/s", deliveryCell(func(d *DeliveryReport) string { return rate(d.DeliveriesPerSec) })},
	{"drain s", deliveryCell(func(d *DeliveryReport) string { return fmt.Sprintf("%.1f", d.DrainSeconds) })},
	{"lag p50 ms", deliveryCell(func(d *DeliveryReport) string { return msf(d.Lag.P50) })},
	{"lag p99 ms", deliveryCell(func(d *DeliveryReport) string { return msf(d.Lag.P99) })},
	{"lag p99 other tenants ms", deliveryCell(func(d *DeliveryReport) string { return msf(d.LagOthers.P99) })},
	{"stored events", func(p *PhaseReport) string { return dash(p.StoredEvents > 0, num(p.StoredEvents)) }},
	{"commits / stored event", dbCell(func(d *DBDelta) string { return fmt.Sprintf("%.2f", d.CommitsPerEvent) })},
	{"row writes / stored event", dbCell(func(d *DBDelta) string { return fmt.Sprintf("%.2f", d.RowWritesPerEvent) })},
	{"statements / stored event", func(p *PhaseReport) string {
		return dash(p.StatementsPerEvent > 0, fmt.Sprintf("%.2f", p.StatementsPerEvent))
	}},
	{"server CPU ms / stored event", func(p *PhaseReport) string {
		return dash(p.ServerCPUMsPerEvent > 0, fmt.Sprintf("%.2f", p.ServerCPUMsPerEvent))
	}},
	{"PostgreSQL CPU ms / stored event", func(p *PhaseReport) string {
		return dash(p.DBCPUMsPerEvent > 0, fmt.Sprintf("%.2f", p.DBCPUMsPerEvent))
	}},
	{"load tool CPU ms / stored event", func(p *PhaseReport) string {
		return dash(p.ToolCPUMsPerEvent > 0, fmt.Sprintf("%.2f", p.ToolCPUMsPerEvent))
	}},
	{"rss max MB", func(p *PhaseReport) string { return dash(p.RSSMaxMB > 0, fmt.Sprintf("%.0f", p.RSSMaxMB)) }},
}

// statuses renders non-2xx status counts as " (503:12 401:1)".
func statuses(by map[string]int64) string {
	var parts []string
	for code, n := range by {
		if !strings.HasPrefix(code, "2") {
			parts = append(parts, fmt.Sprintf("%s:%d", code, n))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	return " (" + strings.Join(parts, " ") + ")"
}
