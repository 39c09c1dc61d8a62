package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
)

// report prints p50/p95/p99 per path and mode, and each path's baseline/event ratio.
func report(w io.Writer, rs []result, poll int) {
	byPath := map[string][]result{}
	var rows [][]string
	for _, r := range rs {
		byPath[r.path] = append(byPath[r.path], r)
		rows = append(rows, []string{r.path, r.mode, fmt.Sprint(len(r.lat)), fmt.Sprint(r.writes), slowShare(r.lat),
			benchkit.Ms(benchkit.Percentile(r.lat, 50)), benchkit.Ms(benchkit.Percentile(r.lat, 95)),
			benchkit.Ms(benchkit.Percentile(r.lat, 99)), benchkit.Ms(benchkit.Percentile(r.lat, 100)), r.load})
	}
	fmt.Fprintln(w)
	benchkit.Table(w, []string{"path", "triggers", "events", "size changes seen", "over 1 s", "p50", "p95", "p99", "max", "load after"}, rows)
	if len(rs) < 4 {
		return
	}
	fmt.Fprintf(w, "\nratio baseline (poll-only %ds) / events:\n", poll)
	var ratios [][]string
	for _, name := range []string{rs[0].path, rs[len(rs)-1].path} {
		pr := byPath[name]
		if len(pr) != 2 {
			continue
		}
		ev, base := pr[0].lat, pr[1].lat
		ratios = append(ratios, []string{name,
			benchkit.Ratio(float64(benchkit.Percentile(base, 50)), float64(benchkit.Percentile(ev, 50))),
			benchkit.Ratio(float64(benchkit.Percentile(base, 95)), float64(benchkit.Percentile(ev, 95))),
			benchkit.Ratio(float64(benchkit.Percentile(base, 99)), float64(benchkit.Percentile(ev, 99)))})
	}
	benchkit.Table(w, []string{"path", "p50 ratio", "p95 ratio", "p99 ratio"}, ratios)
}

// slowShare is the share of events that took over a second: on the event path, those that
// waited for a poll instead of their trigger.
func slowShare(lat []time.Duration) string {
	n := 0
	for _, d := range lat {
		if d > time.Second {
			n++
		}
	}
	return fmt.Sprintf("%d (%.0f%%)", n, 100*float64(n)/float64(max(len(lat), 1)))
}

// writeCSV writes every latency, one per line, for a closer look than percentiles give.
func writeCSV(path string, rs []result) error {
	var b strings.Builder
	b.WriteString("path,triggers,event,latency_ms\n")
	for _, r := range rs {
		for i, d := range r.lat {
			fmt.Fprintf(&b, "%q,%q,%d,%.3f\n", r.path, r.mode, i, float64(d)/float64(time.Millisecond))
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
