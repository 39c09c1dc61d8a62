// Command demo runs the whole fluxscale loop on this machine and narrates it. By default it
// runs on real parts: a local control plane (etcd, kube-apiserver, the Job controller, kwok
// nodes; binaries from `make tools`), the real Flux Operator with the operator's example
// MiniCluster flux-sample, one real flux broker per Running pod (test/fluxoperator), and the
// fluxscale controller in-process reading Flux through pods/exec into rank 0. A burst of
// real Flux jobs arrives, the MiniCluster grows, the jobs finish, idle ranks are drained and
// removed, then the application posts a hint. About two minutes.
//
// With -simulated it runs the older, faster variant: a STAND-IN operator and a simulated
// Flux cluster on a virtual clock, read through the agent's HTTP API, with a summary and a
// chart in _out/demo.svg (about 90 s). Everything either starts is stopped on exit and on
// Ctrl-C.
//
//	make demo                         # builds bin/ if needed, then go run ./test/demo
//	go run ./test/demo -simulated     # the stand-in variant
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/fluxscale/fluxscale/test/harness"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	simulated := flag.Bool("simulated", false, "run the stand-in operator and a simulated Flux on a virtual clock instead of the real operator and real brokers")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once; the control plane dies with us (Pdeathsig)
	}()
	root, err := localcluster.ModuleRoot()
	if err != nil {
		return err
	}
	outDir := filepath.Join(root, "_out")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", outDir, err)
	}
	logPath := filepath.Join(outDir, "demo.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("creating the log file: %w", err)
	}
	defer logFile.Close()
	// controller-runtime's clients log through its global logger; this is the program's main.
	ctrl.SetLogger(logr.Discard())

	if !*simulated {
		fmt.Println("starting a local control plane (etcd, kube-apiserver, kube-controller-manager, kwok), the real Flux Operator and the fluxscale loop...")
		return interrupted(ctx, runReal(ctx, outDir, logFile))
	}
	fmt.Println("starting a local control plane (etcd, kube-apiserver, kube-controller-manager, kwok) and the fluxscale loop...")
	started := time.Now()
	h, err := harness.Start(ctx, harness.Options{Log: logFile, ClusterLogDir: filepath.Join(outDir, "demo-cluster-logs")})
	if err != nil {
		return interrupted(ctx, err)
	}
	defer func() {
		fmt.Println("stopping everything...")
		h.Stop()
	}()
	fmt.Printf("ready in %s; controller, stand-in operator and agent logs: %s\n\n", time.Since(started).Round(100*time.Millisecond), logPath)

	s, err := setUp(ctx, h)
	if err != nil {
		return interrupted(ctx, err)
	}
	tl := &timeline{h: h, fx: s.fx, target: s.target, policy: name, out: os.Stdout, start: time.Now()}
	fmt.Println(header)
	stopTimeline, tlDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(tlDone); tl.run(ctx, stopTimeline) }()
	playErr := s.play(ctx, tl)
	close(stopTimeline)
	<-tlDone
	if playErr != nil {
		return interrupted(ctx, playErr)
	}
	tl.sampleNow(ctx) // the state the last step waited for

	sum, err := s.summarize(ctx)
	if err != nil {
		return err
	}
	fmt.Println()
	sum.print(os.Stdout)
	samples, marks := tl.snapshot()
	svgPath := filepath.Join(outDir, "demo.svg")
	if err := writeChart(svgPath, samples, marks); err != nil {
		return err
	}
	fmt.Printf("  chart              %s\n", svgPath)
	return nil
}

func writeChart(path string, samples []sample, marks []mark) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating the chart: %w", err)
	}
	if err := writeSVG(f, samples, marks); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// interrupted says so when err comes from Ctrl-C rather than a failure.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted (%v); everything started has been stopped", context.Cause(ctx))
	}
	return err
}
