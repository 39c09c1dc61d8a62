package main

import (
	"context"
	"sync/atomic"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// hangable is a policy's simulated Flux cluster that can be made to hang: once hung, every
// read, watch and drain blocks until its context ends, as a rank-0 pod that stopped
// answering does. The controller bounds each read by flux.timeoutSeconds.
type hangable struct {
	*simulated.Cluster
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
	return h.Cluster.State(ctx)
}

func (h *hangable) Watch(ctx context.Context, since uint64) (flux.State, error) {
	if h.hung.Load() {
		<-ctx.Done()
		return flux.State{}, ctx.Err()
	}
	return h.Cluster.Watch(ctx, since)
}

func (h *hangable) Drain(ctx context.Context, ranks flux.RankSet, reason string) error {
	if h.hung.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	return h.Cluster.Drain(ctx, ranks, reason)
}

func (h *hangable) Undrain(ctx context.Context, ranks flux.RankSet) error {
	if h.hung.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	return h.Cluster.Undrain(ctx, ranks)
}
