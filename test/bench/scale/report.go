package main

import (
	"fmt"
	"io"
	"time"

	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
)

// report prints the at-rest table, the converge and probe table, and each count's ratios to
// the first (the baseline, measured in the same run).
func report(w io.Writer, c config, rows []row) {
	if len(rows) == 0 {
		return
	}
	target := "MiniCluster spec.size"
	if c.kind == kindJob {
		target = "Job parallelism"
	}
	fmt.Fprintf(w, "\nkind %s; client QPS %g, Burst %d; max concurrent reconciles %d; pollIntervalSeconds %d; settle %s, rest window %s; controller clock %s\n",
		c.kind, c.qps, c.burst, c.workers, c.poll, c.settle, c.window, c.clock)
	fmt.Fprintln(w, "\nat rest (polls only; CPU and RSS are the whole benchmark process: controller, simulated Flux clusters, watches):")
	var rest [][]string
	for _, r := range rows {
		rest = append(rest, []string{fmt.Sprint(r.policies), dur(r.firstDecisions),
			fmt.Sprintf("%.1f", r.decisionsPerSec), fmt.Sprintf("%.1f", r.passesPerSec), benchkit.Ms(r.passMean),
			fmt.Sprintf("%.1f", r.perSec(r.rest.Reads())), fmt.Sprintf("%.1f", r.perSec(r.rest.Writes)),
			fmt.Sprintf("%.3f", r.statusWritesPerPolicyMinute()),
			fmt.Sprintf("%d/%s", r.rest.Throttled, dur(r.rest.WaitTotal)),
			fmt.Sprintf("%.3f", r.cpuPerSec), fmt.Sprintf("%.0f", r.rssMiB),
			fmt.Sprintf("%.0f", r.heapMiB), fmt.Sprintf("%.0f", r.simHeapMiB)})
	}
	benchkit.Table(w, []string{"policies", "first decisions (distinct)", "decisions/s", "passes/s", "mean pass", "API reads/s", "API writes/s",
		"status writes/policy/min", "throttled (waits/total)", "CPU cores", "RSS MiB",
		"controller heap MiB", "heap before controller MiB"}, rest)

	fmt.Fprintf(w, "\ndecisions per policy in the rest window (%.0f polls of %d s fit in it):\n", rows[0].restSecs/float64(c.poll), c.poll)
	var each [][]string
	for _, r := range rows {
		q := func(p float64) string { return quantile(r.decisionsEach, p) }
		each = append(each, []string{fmt.Sprint(r.policies), q(0), q(1), q(50), q(99), q(100)})
	}
	benchkit.Table(w, []string{"policies", "min", "p1", "p50", "p99", "max"}, each)

	fmt.Fprintf(w, "\nconverge = every queue changes at once -> every %s at 2 (then every Job at parallelism 2), seen on watches;\n", target)
	fmt.Fprintf(w, "probes = %d triggers %s apart to policies spread over the count -> the target at 3; \"hung\": policy 0's Flux never answers\n",
		c.probes, c.pace)
	var conv [][]string
	for _, r := range rows {
		conv = append(conv, []string{fmt.Sprint(r.policies), pct(r.convergeEach, 50), pct(r.convergeEach, 90),
			dur(r.convergeTarget), dur(r.convergeJob),
			fmt.Sprint(r.convergeAPI.Requests), perPolicy(r.convergeAPI.Writes, r.policies), perPolicy(r.convergeAPI.StatusWrites, r.policies),
			fmt.Sprintf("%d/%s", r.convergeAPI.Throttled, dur(r.convergeAPI.WaitTotal)),
			fmt.Sprintf("%.1f", r.convergeCPU.Seconds()),
			pct(r.healthy.toTarget, 50), pct(r.healthy.toTarget, 99),
			pct(r.withHung.toTarget, 50), pct(r.withHung.toTarget, 99),
			fmt.Sprintf("%d/%s", r.total.Throttled, dur(r.total.WaitTotal)),
			fmt.Sprintf("%.0f", r.maxRSSMiB), r.load})
	}
	benchkit.Table(w, []string{"policies", "converge p50", "converge p90", "converge (last)", "converge Jobs (last)", "converge API reqs", "converge writes/policy", "converge status writes/policy", "converge throttled",
		"converge CPU s", "probe p50", "probe p99", "hung: probe p50", "hung: probe p99", "throttled in all",
		"peak RSS MiB", "load after"}, conv)

	fmt.Fprintln(w, "\nFlux calls, counted on each policy's simulated cluster: reads = the controller's State calls, deliveries = watch returns with a new version;")
	fmt.Fprintln(w, "converge = every queue changes at once -> every Job at 2. A pass that decides takes one state, the one its watch delivered or a read (a poll's")
	fmt.Fprintln(w, "pass reads), so converge reads/decision under 1 counts passes deciding on delivered states:")
	var fl [][]string
	for _, r := range rows {
		fl = append(fl, []string{fmt.Sprint(r.policies),
			fmt.Sprint(r.restFlux.reads), perPolicy(r.restFlux.reads, r.policies), r.restReadsPerPolicyPoll(c.poll),
			fmt.Sprint(r.restFlux.deliveries), fmt.Sprint(r.restFlux.watchReturns),
			fmt.Sprint(r.convergeFlux.reads), perPolicy(r.convergeFlux.reads, r.policies),
			fmt.Sprint(r.convergeFlux.deliveries), perPolicy(r.convergeFlux.deliveries, r.policies),
			fmt.Sprintf("%.2f", r.convergeDecisions/float64(r.policies)), perPolicy(int64(r.convergePasses), r.policies),
			ratio(float64(r.convergeFlux.reads), r.convergeDecisions)})
	}
	benchkit.Table(w, []string{"policies", "rest reads", "rest reads/policy", "rest reads/policy/poll", "rest deliveries", "rest watch returns",
		"converge reads", "converge reads/policy", "converge deliveries", "converge deliveries/policy",
		"converge decisions/policy", "converge passes/policy", "converge reads/decision"}, fl)

	base := rows[0]
	var ratios [][]string
	for _, r := range rows[1:] {
		ratios = append(ratios, []string{fmt.Sprintf("%d / %d", r.policies, base.policies),
			benchkit.Ratio(float64(r.policies), float64(base.policies)),
			benchkit.Ratio(r.decisionsPerSec, base.decisionsPerSec),
			benchkit.Ratio(r.perSec(r.rest.Reads()), base.perSec(base.rest.Reads())),
			benchkit.Ratio(r.perSec(r.rest.Writes), base.perSec(base.rest.Writes)),
			benchkit.Ratio(r.cpuPerSec, base.cpuPerSec),
			benchkit.Ratio(r.rssMiB, base.rssMiB),
			benchkit.Ratio(float64(r.convergeTarget), float64(base.convergeTarget)),
			benchkit.Ratio(float64(benchkit.Percentile(r.healthy.toTarget, 99)), float64(benchkit.Percentile(base.healthy.toTarget, 99))),
			benchkit.Ratio(float64(benchkit.Percentile(r.withHung.toTarget, 99)), float64(benchkit.Percentile(r.healthy.toTarget, 99)))})
	}
	if len(ratios) > 0 {
		fmt.Fprintln(w, "\nratios to the baseline (same run); the last column is within the row (hung p99 / healthy p99):")
		benchkit.Table(w, []string{"policies", "policy ratio", "decisions/s", "API reads/s", "API writes/s", "CPU",
			"RSS", "converge", "probe p99", "hung/healthy p99"}, ratios)
	}
}

// perSec is n per second of the rest window.
func (r row) perSec(n int64) float64 {
	if r.restSecs <= 0 {
		return 0
	}
	return float64(n) / r.restSecs
}

// statusWritesPerPolicyMinute is the rest window's ScalingPolicy status writes per policy
// and minute (issue 17's goal: under 1).
func (r row) statusWritesPerPolicyMinute() float64 {
	if r.restSecs <= 0 || r.policies == 0 {
		return 0
	}
	return float64(r.rest.StatusWrites) / float64(r.policies) / (r.restSecs / 60)
}

// restReadsPerPolicyPoll is the rest window's Flux reads per policy and poll period: 1
// when every poll reads once and nothing else does.
func (r row) restReadsPerPolicyPoll(poll int32) string {
	if r.restSecs <= 0 || r.policies == 0 || poll <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(r.restFlux.reads)/float64(r.policies)/(r.restSecs/float64(poll)))
}

// ratio is n / d to two places, or "-" when d is 0.
func ratio(n, d float64) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", n/d)
}

// quantile is the p-th percentile of sorted vs (nearest rank), or "-" with none.
func quantile(vs []float64, p float64) string {
	if len(vs) == 0 {
		return "-"
	}
	i := int(p / 100 * float64(len(vs)-1))
	return fmt.Sprintf("%.0f", vs[i])
}

// perPolicy is n per policy, to two places.
func perPolicy(n int64, policies int) string {
	if policies == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(n)/float64(policies))
}

func dur(d time.Duration) string {
	if d >= 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// pct is the p-th percentile of ds, or "-" with no samples.
func pct(ds []time.Duration, p float64) string {
	if len(ds) == 0 {
		return "-"
	}
	return benchkit.Ms(benchkit.Percentile(ds, p))
}
