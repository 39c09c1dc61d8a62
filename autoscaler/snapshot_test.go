package autoscaler

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// watchedFlux is the counting source that is also its own Watcher, whose states are
// snapshots (as the agent's long-poll is); it records the version each watch waits on.
type watchedFlux struct {
	*countingFlux
	waitingOn atomic.Uint64
}

func (w *watchedFlux) Watch(ctx context.Context, since uint64) (flux.State, error) {
	w.waitingOn.Store(since)
	return w.Cluster.Watch(ctx, since)
}

type watchedSources struct{ w *watchedFlux }

func (s watchedSources) NewSource(context.Context, *v1alpha1.ScalingPolicy, *target.Info) (source.Source, error) {
	return source.Source{Flux: s.w, Watcher: s.w}, nil
}

// A snapshot the feeder delivered decides the pass that comes once its watch has waited
// SnapshotSettle on it, without a Flux read; a pass sooner than that reads Flux, since the
// store may already hold a newer version the watch has not brought back.
func TestPassDecidesOnASettledSnapshotWithoutARead(t *testing.T) {
	h, sim := jobHarness(t, 1)
	w := &watchedFlux{countingFlux: &countingFlux{Cluster: sim}}
	h.r.sources = source.NewCache(watchedSources{w})
	events := make(chan event.GenericEvent, 100)
	h.r.feeders = source.NewFeeders(h.clock, events, h.r.triggers)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.r.feeders.Start(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	h.step(time.Second) // reads Flux and starts the feeder
	reconcileNow := func() {
		t.Helper()
		if _, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key}); err != nil {
			t.Fatalf("Reconcile: %v", err)
		}
	}
	// change submits n one-node jobs, lets the model place them, and waits until the
	// feeder's watch waits on the model's newest version.
	next := uint64(1)
	change := func(n int) {
		t.Helper()
		h.clock.Step(100 * time.Millisecond)
		if err := sim.Advance(100 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		submit(t, sim, next, n, time.Hour)
		next += uint64(n)
		st, err := sim.State(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := wait.PollUntilContextTimeout(t.Context(), time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
			return w.waitingOn.Load() == st.Version, nil
		}); err != nil {
			t.Fatalf("the feeder's watch never waited on version %d (it waits on %d)", st.Version, w.waitingOn.Load())
		}
	}

	change(4)
	h.clock.Step(source.SnapshotSettle)
	before := w.reads.Load()
	reconcileNow()
	if n := w.reads.Load() - before; n != 0 {
		t.Errorf("%d Flux reads in the pass after the snapshot settled, want 0", n)
	}
	if got := h.jobSize(); got != 4 {
		t.Errorf("Job size %d on the snapshot of 1 busy and 3 pending nodes, want 4", got)
	}
	if err := sim.Resize(4); err != nil {
		t.Fatal(err)
	}

	change(1)
	h.clock.Step(source.SnapshotSettle / 10)
	before = w.reads.Load()
	reconcileNow()
	if n := w.reads.Load() - before; n != 1 {
		t.Errorf("%d Flux reads in a pass before the snapshot settled, want 1", n)
	}
	if got := h.jobSize(); got != 5 {
		t.Errorf("Job size %d after a fifth job, want 5", got)
	}
}
