package main

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

func newCounted(t *testing.T) *hangable {
	t.Helper()
	sim, err := simulated.New(simulated.Options{Start: time.Now(), MaxSize: maxSize, InitialSize: maxSize})
	if err != nil {
		t.Fatal(err)
	}
	return &hangable{countingCluster: &countingCluster{Cluster: sim}}
}

// Reads count every State call; watches count every return, and as a delivery one with a
// new version; a hung cluster's calls never reach the counters.
func TestCountingClusterCountsReadsAndDeliveries(t *testing.T) {
	h := newCounted(t)
	ctx := context.Background()
	st, err := h.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Submit(simulated.Job{ID: 1, NNodes: 2, Runtime: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Watch(ctx, st.Version); err != nil {
		t.Fatal(err)
	}
	bounded, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := h.Watch(bounded, st.Version+1); err == nil {
		t.Fatal("Watch on the current version returned without a change")
	}
	h.hung.Store(true)
	hung, cancelHung := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancelHung()
	_, _ = h.State(hung)
	_, _ = h.Watch(hung, 0)

	sims := simSources{"a": h, "b": newCounted(t)}
	want := fluxCounts{reads: 1, watchReturns: 2, deliveries: 1}
	if diff := cmp.Diff(want, sims.fluxCounts(), cmp.AllowUnexported(fluxCounts{})); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// The controller looks for optional methods on a Watcher (whether its states are whole):
// the wrappers must keep whichever the simulated cluster has.
func TestWrappersKeepTheClustersOptionalMethods(t *testing.T) {
	h := newCounted(t)
	for name, has := range map[string]func(any) bool{
		"WatchesSnapshots": func(v any) bool { _, ok := v.(interface{ WatchesSnapshots() bool }); return ok },
		"CarriesState":     func(v any) bool { _, ok := v.(interface{ CarriesState() bool }); return ok },
	} {
		if inner, outer := has(h.Cluster), has(h); inner != outer {
			t.Errorf("%s: the simulated cluster has it %v, the wrapped one %v", name, inner, outer)
		}
	}
}
