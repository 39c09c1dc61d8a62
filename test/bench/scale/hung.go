package main

import (
	"context"
	"sync/atomic"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// hangable is a policy's simulated Flux cluster that can be made to hang: once hung, every
// read, watch and drain blocks until its context ends, as a rank-0 pod that stopped
// answering does. The controller bounds each read by flux.timeoutSeconds. It wraps the
// counting wrapper, so the counts are of the calls the cluster answered; every call goes
// through countingCluster, never straight to its embedded cluster, or it would not count.
type hangable struct {
	*countingCluster
	hung atomic.Bool
}

var (
	_ flux.Client  = (*hangable)(nil)
	_ flux.Watcher = (*hangable)(nil)
)

func (h *hangable) State(ctx context.Context) (flux.State, error) {
	if h.hung.Load() {
		<-ctx.Done()
		return flux.State{}, ctx.Err()
	}
	return h.countingCluster.State(ctx)
}

func (h *hangable) Watch(ctx context.Context, since uint64) (flux.State, error) {
	if h.hung.Load() {
		<-ctx.Done()
		return flux.State{}, ctx.Err()
	}
	return h.countingCluster.Watch(ctx, since)
}

func (h *hangable) Drain(ctx context.Context, ranks flux.RankSet, reason string) error {
	if h.hung.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	return h.countingCluster.Drain(ctx, ranks, reason)
}

func (h *hangable) Undrain(ctx context.Context, ranks flux.RankSet) error {
	if h.hung.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	return h.countingCluster.Undrain(ctx, ranks)
}
