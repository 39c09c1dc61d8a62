// Command scale measures the fluxscale controller with many ScalingPolicies on a local
// control plane. Each policy scales its own target and reads its own simulated Flux cluster
// (in process, with a Watcher) at a 10 s poll. The target is a MiniCluster (-kind
// minicluster, the default) whose Job and pods the operator STAND-IN of test/minicluster
// creates (not the real Flux Operator), or a bare Indexed Job (-kind job); either way one
// kwok pod runs per member. The controller runs with production's defaults (autoscaler's
// max concurrent reconciles and kube-api QPS/Burst) unless flags say otherwise.
//
// For each policy count it reports, at rest: decisions, API reads and writes per second,
// status writes per policy per minute, client-side throttling, CPU and RSS; then the time
// until every target has its new size after all queues change at once, and trigger-to-scale
// probes with every Flux source healthy and with one hung. The first count is the baseline
// the others are compared with.
//
//	go run ./test/bench/scale -policies 100,1000,2000 -out _out/bench
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
)

func main() {
	// controller-runtime warns on stderr unless its global logger is set; the benchmark
	// reports figures, not logs.
	ctrllog.SetLogger(logr.Discard())
	run := func() error { return runMain(os.Args[1:], os.Stdout) }
	if len(os.Args) > 1 && os.Args[1] == standInArg {
		run = func() error { return runStandIn(os.Args[2:]) }
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// config holds the flags.
type config struct {
	counts []int
	// kind is kindMiniCluster or kindJob.
	kind string
	poll int32
	// qps, burst and workers size the controller (rest.Config QPS/Burst,
	// MaxConcurrentReconciles); their defaults are production's.
	qps     float64
	burst   int
	workers int
	// settle is the wait after the first decisions before the rest window, so the first
	// passes' status writes are not counted as rest.
	settle, window time.Duration
	converge       time.Duration
	// probes is the number of trigger-to-scale probes per set, pace the gap between them.
	probes int
	pace   time.Duration
	// clock is clockReal (production) or clockWholeSeconds, a diagnostic.
	clock string
	out   string
}

// The controller clocks -clock chooses.
const (
	clockReal         = "real"
	clockWholeSeconds = "whole-seconds"
)

func runMain(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	var c config
	counts := fs.String("policies", "100,1000,2000", "policy counts, comma separated; the first is the baseline")
	fs.StringVar(&c.kind, "kind", kindMiniCluster, "target kind: minicluster (through the operator stand-in) or job (bare Indexed Jobs)")
	poll := fs.Int("poll", 10, "pollIntervalSeconds of every policy")
	fs.Float64Var(&c.qps, "qps", autoscaler.DefaultKubeAPIQPS, "the controller's client QPS (rest.Config.QPS); default: the controller's -kube-api-qps default")
	fs.IntVar(&c.burst, "burst", autoscaler.DefaultKubeAPIBurst, "the controller's client Burst (rest.Config.Burst); default: the controller's -kube-api-burst default")
	fs.IntVar(&c.workers, "max-concurrent-reconciles", autoscaler.DefaultMaxConcurrentReconciles, "the controller's concurrent reconciles; default: the controller's own")
	fs.DurationVar(&c.settle, "settle", 20*time.Second, "wait after the first decisions before the rest window")
	// An unchanged status is still written every 3 min (autoscaler's status heartbeat): a
	// window that long sees each policy's heartbeat once, so its status writes per minute
	// are the steady rate, not the luck of where the window falls.
	fs.DurationVar(&c.window, "window", 3*time.Minute, "steady-state measuring window (at rest, polls only)")
	fs.DurationVar(&c.converge, "converge-timeout", 5*time.Minute, "longest wait for every target to take its new size")
	fs.IntVar(&c.probes, "probes", 20, "trigger-to-scale probes with every source healthy, and as many with one source hung")
	fs.DurationVar(&c.pace, "probe-pace", 250*time.Millisecond, "time between two probes' triggers")
	fs.StringVar(&c.clock, "clock", clockReal, "the controller's clock: real (production) or whole-seconds (a diagnostic: "+
		"status times as the API server stores them, so a computed status differs from the written one in nothing sub-second)")
	fs.StringVar(&c.out, "out", "_out/bench", "directory for scale.txt")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, s := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-policies %q: want positive counts separated by commas, e.g. 100,1000", *counts)
		}
		c.counts = append(c.counts, n)
	}
	c.poll = int32(*poll)
	if c.kind != kindMiniCluster && c.kind != kindJob {
		return fmt.Errorf("-kind %q: want %s or %s", c.kind, kindMiniCluster, kindJob)
	}
	if c.clock != clockReal && c.clock != clockWholeSeconds {
		return fmt.Errorf("-clock %q: want %s or %s", c.clock, clockReal, clockWholeSeconds)
	}
	if c.workers < 1 || c.qps <= 0 || c.burst < 1 || c.probes < 0 {
		return fmt.Errorf("-max-concurrent-reconciles %d, -qps %g, -burst %d, -probes %d: want at least 1, above 0, at least 1 and 0 or more",
			c.workers, c.qps, c.burst, c.probes)
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(c.out, "scale.txt"))
	if err != nil {
		return err
	}
	defer f.Close()
	w := io.MultiWriter(stdout, f)
	fmt.Fprintf(w, "command: go run ./test/bench/scale %s\n", strings.Join(args, " "))
	fmt.Fprintln(w, "machine:", benchkit.Machine())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var rows []row
	for _, n := range c.counts {
		r, err := measure(ctx, c, n)
		if err != nil {
			report(w, c, rows)
			return fmt.Errorf("%d policies: %w", n, err)
		}
		fmt.Fprintf(w, "%d policies done (load %s)\n", n, r.load)
		rows = append(rows, r)
	}
	report(w, c, rows)
	return nil
}
