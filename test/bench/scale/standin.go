package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/fluxscale/fluxscale/test/minicluster"
)

// standInArg, as the first argument, makes this program the MiniCluster operator stand-in
// instead of the benchmark.
const standInArg = "standin"

// standInWorkers are the stand-in's concurrent reconciles, and standInQPS its client's
// rate: the operator is not what is measured, so it must not be the bottleneck when every
// MiniCluster resizes at once.
const (
	standInWorkers = 50
	standInQPS     = 2000
)

// startStandIn runs the stand-in operator (test/minicluster) in a child process of this
// program, so the benchmark process's CPU and memory are the controller's and its
// simulated Flux clusters', not the operator's. Call the returned stop when done; the
// child is also killed if this process dies.
func startStandIn(kubeconfig, node string) (stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, standInArg, "-kubeconfig", kubeconfig, "-node", node)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the stand-in operator: %w", err)
	}
	return func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait() // it exits on the signal; its exit status tells nothing more
	}, nil
}

// runStandIn is the child: the stand-in operator until SIGINT or SIGTERM.
func runStandIn(args []string) error {
	fs := flag.NewFlagSet(standInArg, flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the local control plane")
	node := fs.String("node", "", "node the MiniClusters' pods are pinned to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("loading %s: %w", *kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = standInQPS, standInQPS
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = minicluster.Run(ctx, cfg, minicluster.StandInOptions{NodeName: *node, MaxConcurrentReconciles: standInWorkers}, logr.Discard())
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
