// Command latency measures the fluxscale controller's reaction latency on a local control
// plane: from a hint posted through the real hint API, and from a simulated Flux queue
// change seen through the real agent long-poll, to the Job's new parallelism visible on a
// watch. The same events are then run with event triggers off (poll only, every 15 s, HPA's
// sync period) as the baseline, in the same process on the same cluster.
//
//	go run ./test/bench/latency -events 200 -baseline-events 20 -gap 1s -out _out/bench
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

func main() {
	// controller-runtime warns on stderr unless its global logger is set; the benchmark
	// reports figures, not logs.
	ctrllog.SetLogger(logr.Discard())
	if err := runMain(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

// config holds the flags.
type config struct {
	events, baselineEvents int
	pollSeconds            int
	gap                    time.Duration
	out                    string
}

func runMain(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("latency", flag.ContinueOnError)
	var c config
	fs.IntVar(&c.events, "events", 200, "events per path with event triggers on (alternating up and down)")
	fs.IntVar(&c.baselineEvents, "baseline-events", 20, "events per path in the poll-only baseline (each waits up to the poll interval)")
	fs.IntVar(&c.pollSeconds, "poll", 15, "pollIntervalSeconds of both runs (15: HPA's sync period)")
	fs.DurationVar(&c.gap, "gap", time.Second, "pause between an event's size seen and the next event")
	fs.StringVar(&c.out, "out", "_out/bench", "directory for latency.txt")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.events < 2 || c.baselineEvents < 2 || c.events%2 != 0 || c.baselineEvents%2 != 0 || c.pollSeconds < 1 {
		return fmt.Errorf("-events %d, -baseline-events %d, -poll %d: need even event counts of at least 2 (each up has its down) and a poll of 1 s or more",
			c.events, c.baselineEvents, c.pollSeconds)
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(c.out, "latency.txt"))
	if err != nil {
		return err
	}
	defer f.Close()
	w := io.MultiWriter(stdout, f)
	fmt.Fprintf(w, "command: go run ./test/bench/latency %s\n", strings.Join(args, " "))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	return measure(ctx, c, w)
}
