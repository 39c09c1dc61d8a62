package replay

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
)

// Report is one workload replayed under several scalers. It holds no wall-clock times, so
// the same inputs give byte-identical output.
type Report struct {
	Trace              string  `json:"trace"`
	MaxSize            int32   `json:"maxSize"`
	MinSize            int32   `json:"minSize"`
	Sched              string  `json:"sched"`
	NodeUpDelaySeconds float64 `json:"nodeUpDelaySeconds"`
	// Jobs replayed; SkippedWide jobs of the trace asked for more than MaxSize nodes.
	Jobs        int `json:"jobs"`
	SkippedWide int `json:"skippedWide"`
	// LowerBoundNodeHours is the trace's busy node-hours (see LowerBoundNodeHours).
	LowerBoundNodeHours float64   `json:"lowerBoundNodeHours"`
	Policies            []Summary `json:"policies"`
}

// lowerBoundLabel names the physical lower bound's row.
const lowerBoundLabel = "lower bound (busy)"

// WriteTable prints the report as an aligned table, one row per scaler and one for the
// lower bound.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "POLICY\tDONE\tKILLED\tUNFINISHED\tMEAN WAIT\tP95 WAIT\tMEAN BSLD\tMAKESPAN\tNODE-HOURS\tx BOUND\tUTIL\tSCALE ACTIONS")
	for _, s := range r.Policies {
		fmt.Fprintf(tw, "%s\t%d/%d\t%d\t%d\t%s\t%s\t%.1f\t%s\t%.0f\t%.2f\t%.1f%%\t%d\n",
			s.Policy, s.Finished, s.Jobs, s.Killed, s.Unfinished, ifStarted(s, humanSeconds(s.MeanWait)),
			ifStarted(s, humanSeconds(s.P95Wait)), s.MeanBoundedSlowdown, humanSeconds(s.Makespan), s.NodeHours, s.LowerBoundRatio, 100*s.Utilization, s.ScaleActions)
	}
	fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t\t%.0f\t1.00\t100.0%%\t\n", lowerBoundLabel, r.LowerBoundNodeHours)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the table: %w", err)
	}
	return nil
}

// WriteCSV writes the report's rows with raw numbers (seconds, hours, ratios).
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"policy", "jobs", "finished", "killed", "unsatisfiable", "unfinished", "mean_wait_s", "p95_wait_s",
		"mean_bounded_slowdown", "makespan_s", "node_hours", "busy_node_hours", "utilization", "lower_bound_ratio",
		"scale_actions", "drains", "decisions"}}
	for _, s := range r.Policies {
		rows = append(rows, []string{s.Policy, itoa(s.Jobs), itoa(s.Finished), itoa(s.Killed), itoa(s.Unsatisfiable),
			itoa(s.Unfinished), ftoa(s.MeanWait), ftoa(s.P95Wait), ftoa(s.MeanBoundedSlowdown), ftoa(s.Makespan),
			ftoa(s.NodeHours), ftoa(s.BusyNodeHours), ftoa(s.Utilization), ftoa(s.LowerBoundRatio),
			itoa(s.ScaleActions), itoa(s.Drains), itoa(s.Decisions)})
	}
	lb := ftoa(r.LowerBoundNodeHours)
	rows = append(rows, []string{lowerBoundLabel, itoa(r.Jobs), "", "", "", "", "", "", "", "", lb, lb, ftoa(1), ftoa(1), "", "", ""})
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

// ifStarted is v, or "-" when no job started and there is no wait to speak of.
func ifStarted(s Summary, v string) string {
	if s.Finished+s.Killed == 0 {
		return "-"
	}
	return v
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// humanSeconds writes a duration in the largest unit that keeps it readable.
func humanSeconds(s float64) string {
	switch {
	case s >= 86400:
		return fmt.Sprintf("%.1fd", s/86400)
	case s >= 3600:
		return fmt.Sprintf("%.1fh", s/3600)
	case s >= 60:
		return fmt.Sprintf("%.1fm", s/60)
	}
	return fmt.Sprintf("%.0fs", s)
}

// Page is how the HTML report shows a run: the timeline's window and the command line.
type Page struct {
	Window  Window
	Command string
}

// WriteFiles writes table.csv, table.json and report.html into dir, creating it if needed.
func WriteFiles(dir string, r Report, results []Result, p Page) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the output directory: %w", err)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"table.csv", r.WriteCSV},
		{"table.json", r.WriteJSON},
		{"report.html", func(w io.Writer) error { return WriteHTML(w, r, results, p.Window, p.Command) }},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := write(file); err != nil {
		file.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
