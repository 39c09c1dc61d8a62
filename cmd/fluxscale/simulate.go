package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/utils/clock"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/replay"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/metrics/simulated/workload"
	"github.com/fluxscale/fluxscale/policy"
)

// traceEpoch is the wall time given to a trace's second 0: a Monday at midnight UTC, so
// Schedule policies see whole weeks.
var traceEpoch = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// simulateFlags are the simulate subcommand's settings.
type simulateFlags struct {
	trace, policyFile, baselines, out, sched string
	maxSize, minSize                         int
	nodeUpDelay, shortJobsHigh               time.Duration
	sweeps                                   []string
	external, externalSeries                 []string
	from, to                                 time.Duration
	slurm                                    replay.SlurmOptions
	set                                      map[string]bool
}

func runSimulate(args []string, stdout, stderr io.Writer) error {
	return simulate(context.Background(), args, stdout, stderr, clock.RealClock{})
}

// simulate replays a trace under the policy and the baselines; clk times the run (stderr
// only, so stdout and the files are the same on every run).
func simulate(ctx context.Context, args []string, stdout, stderr io.Writer, clk clock.PassiveClock) error {
	f, err := parseSimulateFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	sched, err := simulated.ParseSchedPolicy(f.sched)
	if err != nil {
		return fmt.Errorf("%w: --sched: %w", errUsage, err)
	}
	name, spec, err := loadSpec(f)
	if err != nil {
		return err
	}
	if err := checkExpressions(name, &spec, stderr); err != nil {
		return err
	}
	feed, err := externalFeed(f, &spec)
	if err != nil {
		return err
	}
	tr, err := readTrace(f.trace, spec.MaxSize)
	if err != nil {
		return err
	}
	if spec.MaxSize == 0 {
		if spec.MaxSize = tr.MaxNodes; spec.MaxSize == 0 {
			return fmt.Errorf("%w: the trace has no MaxNodes header and the policy no maxSize: give --max-size", errUsage)
		}
	}
	if err := replay.CheckBounds(spec); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	scalers, bounds, err := buildScalers(name, policy.Defaulted(spec), f)
	if err != nil {
		return err
	}
	feedScalers(scalers, feed)
	cfg := replay.Config{
		Cluster: simulated.Options{MaxSize: spec.MaxSize, NodeUpDelay: f.nodeUpDelay, Sched: sched, ShortJobsHigh: f.shortJobsHigh},
		Jobs:    tr.Jobs,
	}
	began := clk.Now()
	results, err := replay.RunAll(ctx, cfg, scalers, replay.NewProgress(stderr, clk))
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "simulate: replayed %d jobs under %d policies and baselines in %s\n", len(tr.Jobs), len(scalers), clk.Since(began).Round(time.Millisecond))
	rep := replay.Report{
		Trace: filepath.Base(f.trace), MaxSize: spec.MaxSize, MinSize: spec.MinSize, Sched: string(sched),
		NodeUpDelaySeconds: f.nodeUpDelay.Seconds(), Jobs: len(tr.Jobs), SkippedWide: tr.SkippedWide,
		LowerBoundNodeHours: replay.LowerBoundNodeHours(tr.Jobs),
	}
	for _, r := range results {
		rep.Policies = append(rep.Policies, replay.Summarize(r, rep.LowerBoundNodeHours))
	}
	if len(bounds) > 0 {
		rows, err := replay.Bounds(results, bounds, replay.BoundOptions{
			NodeUpDelay: f.nodeUpDelay, MinSize: spec.MinSize, LowerBound: rep.LowerBoundNodeHours,
		})
		if err != nil {
			return err
		}
		rep.Policies = append(rep.Policies, rows...)
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d jobs (%d wider than %d nodes skipped); %s scheduler; ranks up %s after a resize.\n"+
		"Wait covers jobs that started; slowdown jobs that finished; node-hours integrate the size over the makespan.\n",
		rep.Jobs, rep.SkippedWide, rep.MaxSize, sched, f.nodeUpDelay)
	if f.out == "" {
		return nil
	}
	return replay.WriteFiles(f.out, rep, results, replay.Page{
		Window: replay.Window{From: f.from, To: f.to}, Command: commandLine(args),
	})
}

// commandLine is the command that made a report, quoted where a shell would need it.
func commandLine(args []string) string {
	parts := []string{"fluxscale", "simulate"}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$`\\*?;&|<>()") {
			a = strconv.Quote(a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

func parseSimulateFlags(args []string, stderr io.Writer) (simulateFlags, error) {
	var f simulateFlags
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.trace, "trace", "", "workload trace in SWF (required); second 0 is "+traceEpoch.Format(time.RFC3339))
	fs.StringVar(&f.policyFile, "policy", "", "ScalingPolicy YAML to replay (default: the defaulted empty policy)")
	fs.StringVar(&f.baselines, "baselines", strings.Join(allBaselines, ","), "baselines to replay beside the policy, comma-separated, or none")
	fs.IntVar(&f.maxSize, "max-size", 0, "max size (default: the policy's maxSize, else the trace's MaxNodes header)")
	fs.IntVar(&f.minSize, "min-size", 0, "min size (default: the policy's minSize, else 1)")
	fs.StringVar(&f.out, "out", "", "directory for table.csv, table.json and report.html (default: none)")
	fs.Func("sweep", "replay the policy once per value of a ScalingPolicy spec field: FIELD=V1,V2,... (repeatable), "+
		"e.g. behavior.scaleDown.stabilizationWindowSeconds=0,60,300", func(v string) error {
		f.sweeps = append(f.sweeps, v)
		return nil
	})
	fs.Func("from", "report.html's timeline starts this long after the first submit (Go duration or days, e.g. 36h or 10d)", func(v string) error {
		var err error
		f.from, err = parseDays(v)
		return err
	})
	fs.Func("to", "report.html's timeline ends this long after the first submit (default: the end)", func(v string) error {
		var err error
		f.to, err = parseDays(v)
		return err
	})
	fs.Func("external", "an External policy's scaler answers VALUE (0: not active) per TARGET (default 1) all along: "+
		"policies[INDEX]=VALUE[/TARGET] (repeatable)", func(v string) error {
		f.external = append(f.external, v)
		return nil
	})
	fs.Func("external-series", "an External policy's scaler answers a recorded series: policies[INDEX]=FILE, "+
		"CSV lines offset seconds from the first submit,value[,target] (repeatable)", func(v string) error {
		f.externalSeries = append(f.externalSeries, v)
		return nil
	})
	f.slurm = replay.DefaultSlurmOptions()
	fs.DurationVar(&f.slurm.SuspendTime, "slurm-suspend-time", f.slurm.SuspendTime, "slurm-power-save: idle time before a node suspends (SuspendTime)")
	fs.IntVar(&f.slurm.SuspendRate, "slurm-suspend-rate", f.slurm.SuspendRate, "slurm-power-save: nodes suspended per minute at most (SuspendRate; 0: no limit)")
	fs.IntVar(&f.slurm.ResumeRate, "slurm-resume-rate", f.slurm.ResumeRate, "slurm-power-save: nodes resumed per minute at most (ResumeRate; 0: no limit)")
	fs.StringVar(&f.sched, "sched", string(simulated.SchedFCFS), "Flux queue policy: fcfs or easy (backfill)")
	fs.DurationVar(&f.nodeUpDelay, "node-up-delay", simulated.DefaultNodeUpDelay, "time for a rank added by a resize to come up")
	fs.DurationVar(&f.shortJobsHigh, "short-jobs-high", 0, "experiment: jobs with a walltime below this take the highest free ranks, "+
		"not the lowest (no Flux scheduler places by walltime; 0: off)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, err
		}
		return f, fmt.Errorf("%w: %v", errUsage, err)
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	switch {
	case fs.NArg() > 0:
		return f, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	case f.trace == "":
		return f, fmt.Errorf("%w: --trace is required: give an SWF workload file", errUsage)
	case f.nodeUpDelay < 0:
		return f, fmt.Errorf("%w: --node-up-delay %s is negative", errUsage, f.nodeUpDelay)
	case f.shortJobsHigh < 0:
		return f, fmt.Errorf("%w: --short-jobs-high %s is negative", errUsage, f.shortJobsHigh)
	case f.to != 0 && f.to <= f.from:
		return f, fmt.Errorf("%w: --to %s is not after --from %s", errUsage, f.to, f.from)
	}
	if err := f.slurm.Validate(); err != nil {
		return f, fmt.Errorf("%w: %w", errUsage, err)
	}
	return f, nil
}

// parseDays reads a Go duration, or a number of days such as 10d or 1.5d.
func parseDays(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of days: write e.g. 10d, 1.5d or 36h", v)
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration: write e.g. 36h, 90m or 10d", v)
	}
	return d, nil
}

// loadSpec reads --policy (or takes the empty spec) and applies --min-size and --max-size.
func loadSpec(f simulateFlags) (string, v1alpha1.ScalingPolicySpec, error) {
	name, spec := "default-policy", v1alpha1.ScalingPolicySpec{}
	if f.policyFile != "" {
		data, err := os.ReadFile(f.policyFile)
		if err != nil {
			return "", spec, fmt.Errorf("reading the policy: %w", err)
		}
		sp, err := replay.ParsePolicy(data)
		if err != nil {
			return "", spec, fmt.Errorf("policy %s: %w", f.policyFile, err)
		}
		spec = sp.Spec
		if name = sp.Name; name == "" {
			name = "policy"
		}
	}
	if f.set["max-size"] {
		spec.MaxSize = int32(f.maxSize)
	}
	if f.set["min-size"] {
		spec.MinSize = int32(f.minSize)
	} else if spec.MinSize == 0 {
		spec.MinSize = 1
	}
	return name, spec, nil
}

func readTrace(path string, maxSize int32) (workload.Trace, error) {
	file, err := os.Open(path)
	if err != nil {
		return workload.Trace{}, fmt.Errorf("reading the trace: %w", err)
	}
	defer file.Close()
	tr, err := workload.ReadSWF(file, workload.SWFOptions{Epoch: traceEpoch, MaxNodes: maxSize})
	if err != nil {
		return workload.Trace{}, fmt.Errorf("trace %s: %w", path, err)
	}
	if len(tr.Jobs) == 0 {
		return workload.Trace{}, fmt.Errorf("trace %s has no job the cluster can run (%d too wide, %d incomplete)", path, tr.SkippedWide, tr.SkippedUnknown)
	}
	return tr, nil
}

// allBaselines are the baselines --baselines knows, in the order they are replayed.
var allBaselines = []string{"static-max", "static-min", "hpa", "slurm-power-save", replay.BoundClairvoyant, replay.BoundTopOnly}

// buildScalers is the policy, its sweep variants and the named baselines; bounds are the
// clairvoyant bounds asked for, computed after the replays from static-max's schedule
// (static-max is replayed for them when not asked for).
func buildScalers(name string, spec v1alpha1.ScalingPolicySpec, f simulateFlags) ([]replay.Scaler, []string, error) {
	scalers := []replay.Scaler{replay.NewPolicyScaler(name, spec)}
	for _, sw := range f.sweeps {
		variants, err := replay.Sweep(spec, sw)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: --sweep: %w", errUsage, err)
		}
		for _, v := range variants {
			if err := replay.CheckBounds(v.Spec); err != nil {
				return nil, nil, fmt.Errorf("%w: --sweep %s: %w", errUsage, v.Name, err)
			}
			scalers = append(scalers, replay.NewPolicyScaler(name+" "+v.Name, v.Spec))
		}
	}
	if f.baselines == "" || f.baselines == "none" {
		return scalers, nil, nil
	}
	var bounds []string
	haveStaticMax := false
	for b := range strings.SplitSeq(f.baselines, ",") {
		switch b = strings.TrimSpace(b); b {
		case "static-max":
			scalers = append(scalers, replay.Static{Label: b, Size: spec.MaxSize})
			haveStaticMax = true
		case "static-min":
			scalers = append(scalers, replay.Static{Label: b, Size: spec.MinSize})
		case "hpa":
			scalers = append(scalers, replay.NewHPAScaler(b, spec.MinSize, spec.MaxSize))
		case "slurm-power-save":
			scalers = append(scalers, replay.NewSlurmScaler(b, spec.MaxSize, f.slurm))
		case replay.BoundClairvoyant, replay.BoundTopOnly:
			bounds = append(bounds, b)
		default:
			return nil, nil, fmt.Errorf("%w: --baselines: %q is not a baseline: use %s or none", errUsage, b, strings.Join(allBaselines, ", "))
		}
	}
	if len(bounds) > 0 && !haveStaticMax {
		scalers = append(scalers, replay.Static{Label: "static-max", Size: spec.MaxSize})
	}
	return scalers, bounds, nil
}

// replayUnknown are the Expression variables the replay cannot fill as the controller does:
// the simulated cluster has no pods to measure, posts no hints and holds no jobs.
var replayUnknown = map[string]string{
	"cpuPercent": "unknown (no pod metrics): a formula that depends on it recommends nothing",
	"hint":       "always 0 (no hints are posted)",
	"heldJobs":   "always 0 (traces hold no jobs)",
}

// checkExpressions refuses a policy whose formulas do not compile, with the message the
// controller would put in ScalingActive, and says which variables the replay cannot fill.
func checkExpressions(name string, spec *v1alpha1.ScalingPolicySpec, stderr io.Writer) error {
	exprs := policy.CompileExpressions(spec)
	if problems := policy.ExpressionProblems(spec, exprs); len(problems) > 0 {
		return fmt.Errorf("%w: policy %s: %s", errUsage, name, strings.Join(problems, "; "))
	}
	for i := range spec.Policies {
		p := &spec.Policies[i]
		if p.Type != v1alpha1.PolicyExpression {
			continue
		}
		for _, v := range exprs.Reads(p.Expression) {
			if why, ok := replayUnknown[v]; ok {
				fmt.Fprintf(stderr, "simulate: policies[%d] (Expression) reads %s, which the replay leaves %s\n", i, v, why)
			}
		}
	}
	return nil
}
