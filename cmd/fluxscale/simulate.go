package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	nodeUpDelay                              time.Duration
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
	scalers, err := buildScalers(name, policy.Defaulted(spec), f.baselines)
	if err != nil {
		return err
	}
	cfg := replay.Config{
		Cluster: simulated.Options{MaxSize: spec.MaxSize, NodeUpDelay: f.nodeUpDelay, Sched: sched},
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
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d jobs (%d wider than %d nodes skipped); %s scheduler; ranks up %s after a resize.\n"+
		"Wait covers jobs that started; slowdown jobs that finished; node-hours integrate the size over the makespan.\n",
		rep.Jobs, rep.SkippedWide, rep.MaxSize, sched, f.nodeUpDelay)
	if f.out == "" {
		return nil
	}
	return replay.WriteFiles(f.out, rep, results)
}

func parseSimulateFlags(args []string, stderr io.Writer) (simulateFlags, error) {
	var f simulateFlags
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.trace, "trace", "", "workload trace in SWF (required); second 0 is "+traceEpoch.Format(time.RFC3339))
	fs.StringVar(&f.policyFile, "policy", "", "ScalingPolicy YAML to replay (default: the defaulted empty policy)")
	fs.StringVar(&f.baselines, "baselines", "static-max,static-min,hpa", "baselines to replay beside the policy, comma-separated, or none")
	fs.IntVar(&f.maxSize, "max-size", 0, "max size (default: the policy's maxSize, else the trace's MaxNodes header)")
	fs.IntVar(&f.minSize, "min-size", 0, "min size (default: the policy's minSize, else 1)")
	fs.StringVar(&f.out, "out", "", "directory for table.csv, table.json and chart.svg (default: none)")
	fs.StringVar(&f.sched, "sched", string(simulated.SchedFCFS), "Flux queue policy: fcfs or easy (backfill)")
	fs.DurationVar(&f.nodeUpDelay, "node-up-delay", simulated.DefaultNodeUpDelay, "time for a rank added by a resize to come up")
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
	}
	return f, nil
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

// buildScalers is the policy followed by the named baselines.
func buildScalers(name string, spec v1alpha1.ScalingPolicySpec, baselines string) ([]replay.Scaler, error) {
	scalers := []replay.Scaler{replay.NewPolicyScaler(name, spec)}
	if baselines == "" || baselines == "none" {
		return scalers, nil
	}
	for b := range strings.SplitSeq(baselines, ",") {
		switch b = strings.TrimSpace(b); b {
		case "static-max":
			scalers = append(scalers, replay.Static{Label: b, Size: spec.MaxSize})
		case "static-min":
			scalers = append(scalers, replay.Static{Label: b, Size: spec.MinSize})
		case "hpa":
			scalers = append(scalers, replay.NewHPAScaler(b, spec.MinSize, spec.MaxSize))
		default:
			return nil, fmt.Errorf("%w: --baselines: %q is not a baseline: use static-max, static-min, hpa or none", errUsage, b)
		}
	}
	return scalers, nil
}
