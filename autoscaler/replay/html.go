package replay

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
)

// page holds the report's template, style and script; the script draws every chart from
// the JSON the template embeds, so the page needs no network and no other file.
//
//go:embed page/report.html page/report.css page/report.js
var page embed.FS

// pageTemplate is parsed once per WriteHTML: a report is written once per run, and a
// package-level parsed template would be mutable state for no gain.
func pageTemplate() (*template.Template, error) {
	t, err := template.ParseFS(page, "page/report.html")
	if err != nil {
		return nil, fmt.Errorf("parsing the report template: %w", err)
	}
	return t, nil
}

// htmlRow is one summary table row, formatted.
type htmlRow struct {
	Policy, Done, Killed, Unfinished, MeanWait, P95Wait, Slowdown, NodeHours, Ratio, Util, Actions string
	Bound                                                                                          bool
}

// WriteHTML writes the report as one self-contained HTML page: the summary table, the
// node-hours against mean-wait frontier, the breakdown of non-busy node-hours, the wait
// CDF and the size timeline over w, with command (the command line that made it) on top.
func WriteHTML(out io.Writer, rep Report, results []Result, w Window, command string) error {
	data, err := buildPage(rep, results, w, command)
	if err != nil {
		return err
	}
	blob, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	css, err := page.ReadFile("page/report.css")
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	js, err := page.ReadFile("page/report.js")
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	t, err := pageTemplate()
	if err != nil {
		return err
	}
	var rows []htmlRow
	for _, s := range rep.Policies {
		rows = append(rows, htmlRow{
			Policy: s.Policy, Done: fmt.Sprintf("%d/%d", s.Finished, s.Jobs), Killed: strconv.Itoa(s.Killed),
			Unfinished: strconv.Itoa(s.Unfinished), MeanWait: ifStarted(s, humanSeconds(s.MeanWait)),
			P95Wait: ifStarted(s, humanSeconds(s.P95Wait)), Slowdown: fmt.Sprintf("%.1f", s.MeanBoundedSlowdown),
			NodeHours: fmt.Sprintf("%.0f", s.NodeHours), Ratio: fmt.Sprintf("%.3f", s.LowerBoundRatio),
			Util: fmt.Sprintf("%.1f%%", 100*s.Utilization), Actions: strconv.Itoa(s.ScaleActions), Bound: s.Bound,
		})
	}
	rows = append(rows, htmlRow{Policy: lowerBoundLabel, NodeHours: fmt.Sprintf("%.0f", rep.LowerBoundNodeHours), Ratio: "1.000", Bound: true})
	err = t.Execute(out, map[string]any{
		"Trace":   rep.Trace,
		"Setup":   setupLine(rep),
		"Command": command,
		"Rows":    rows,
		"Window":  fmt.Sprintf("from %s to %s after the first submit", humanSeconds(data.FromSeconds), humanSeconds(data.ToSeconds)),
		// The JSON comes from encoding/json, which escapes <, > and &, so it cannot end
		// the script element.
		"Data":   template.JS(blob),
		"CSS":    template.CSS(css),
		"Script": template.JS(js),
	})
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// setupLine says what was replayed, in one sentence.
func setupLine(r Report) string {
	return fmt.Sprintf("%d jobs (%d wider than %d nodes skipped) on %d..%d nodes, %s scheduler, ranks up %s after a resize; busy node-hours %.0f.",
		r.Jobs, r.SkippedWide, r.MaxSize, r.MinSize, r.MaxSize, r.Sched, humanSeconds(r.NodeUpDelaySeconds), r.LowerBoundNodeHours)
}
