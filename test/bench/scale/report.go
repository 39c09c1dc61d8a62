package main

import (
	"fmt"
	"io"
	"time"

	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
)

// report prints one row per policy count and each count's ratios to the first (baseline).
func report(w io.Writer, c config, rows []row) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nclient QPS %.0f, Burst %d; pollIntervalSeconds %d; rest window %s; converge = all queues change -> every Job at parallelism 2 (seen on a watch)\n",
		c.qps, c.burst, c.poll, c.window)
	var out [][]string
	for _, r := range rows {
		out = append(out, []string{fmt.Sprint(r.policies), r.sync.Round(time.Millisecond).String(),
			fmt.Sprintf("%.1f", r.decisionsPerSec), fmt.Sprintf("%.1f", r.apiPerSec), fmt.Sprintf("%.2f", r.cpuPerSec),
			fmt.Sprintf("%d/%s", r.restThrottle.Throttled, r.restThrottle.WaitTotal.Round(time.Millisecond)),
			r.converge.Round(time.Millisecond).String(), fmt.Sprint(r.convergeAPI.Requests),
			fmt.Sprintf("%d/%s", r.convergeAPI.Throttled, r.convergeAPI.WaitTotal.Round(time.Millisecond)),
			fmt.Sprintf("%.1f", r.convergeCPU.Seconds()),
			fmt.Sprintf("%.0f", float64(r.maxRSSKiB)/1024), fmt.Sprintf("%.0f", r.heapInuseMiB), r.load})
	}
	benchkit.Table(w, []string{"policies", "first decisions", "decisions/s at rest", "API req/s at rest", "CPU s/s at rest",
		"throttled at rest (waits/total)", "converge", "converge API reqs", "converge throttled", "converge CPU s",
		"peak RSS MiB", "heap MiB", "load after"}, out)
	base := rows[0]
	var ratios [][]string
	for _, r := range rows[1:] {
		ratios = append(ratios, []string{fmt.Sprintf("%d / %d", r.policies, base.policies),
			benchkit.Ratio(float64(r.policies), float64(base.policies)),
			benchkit.Ratio(r.decisionsPerSec, base.decisionsPerSec),
			benchkit.Ratio(r.apiPerSec, base.apiPerSec),
			benchkit.Ratio(r.cpuPerSec, base.cpuPerSec),
			benchkit.Ratio(float64(r.converge), float64(base.converge)),
			benchkit.Ratio(r.heapInuseMiB, base.heapInuseMiB)})
	}
	if len(ratios) > 0 {
		fmt.Fprintln(w, "\nratios to the baseline (same run):")
		benchkit.Table(w, []string{"policies", "policy ratio", "decisions/s", "API req/s", "CPU s/s", "converge", "heap"}, ratios)
	}
}
