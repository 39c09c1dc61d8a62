// Command scale measures the fluxscale controller with many ScalingPolicies on a local
// control plane: each policy scales its own Indexed Job (parallelism 1, one kwok pod) and
// reads its own simulated Flux cluster (in process, with a Watcher) at a 10 s poll. For
// each policy count it reports decisions per second at rest, the process's CPU seconds,
// peak RSS and Go heap, API requests per second and client-side throttling at an explicit
// QPS/Burst, and the time until every Job has its new size after all queues change at
// once. The smallest count is the baseline the others are compared with.
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

	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
)

func main() {
	// controller-runtime warns on stderr unless its global logger is set; the benchmark
	// reports figures, not logs.
	ctrllog.SetLogger(logr.Discard())
	if err := runMain(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// config holds the flags.
type config struct {
	counts   []int
	poll     int32
	qps      float64
	burst    int
	window   time.Duration
	converge time.Duration
	out      string
}

func runMain(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	var c config
	counts := fs.String("policies", "100,1000,2000", "policy counts, comma separated; the first is the baseline")
	poll := fs.Int("poll", 10, "pollIntervalSeconds of every policy")
	fs.Float64Var(&c.qps, "qps", 50, "the controller's client QPS (rest.Config.QPS)")
	fs.IntVar(&c.burst, "burst", 100, "the controller's client Burst (rest.Config.Burst)")
	fs.DurationVar(&c.window, "window", 30*time.Second, "steady-state measuring window (at rest, polls only)")
	fs.DurationVar(&c.converge, "converge-timeout", 5*time.Minute, "longest wait for every Job to take its new size")
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
