package liveflux

import (
	"context"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/liveflux"
)

// recordingWatcher is the agent client as a feeder's watcher, recording when the first
// watch on each version began and how many versions came back.
type recordingWatcher struct {
	*agent.Client
	mu       sync.Mutex
	began    map[uint64]time.Time
	versions int
}

func (w *recordingWatcher) Watch(ctx context.Context, since uint64) (flux.State, error) {
	w.mu.Lock()
	if _, ok := w.began[since]; !ok {
		w.began[since] = time.Now()
	}
	w.mu.Unlock()
	st, err := w.Client.Watch(ctx, since)
	if err == nil && st.Version != since {
		w.mu.Lock()
		w.versions++
		w.mu.Unlock()
	}
	return st, err
}

func (w *recordingWatcher) beganOn(version uint64) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	at, ok := w.began[version]
	return at, ok
}

// TestAgentSnapshotStandsForARead: the controller's feeder follows a real agent over a live
// Flux. After a burst of five submits, once the feeder's watch has waited SnapshotSettle on
// the newest version, the snapshot it delivered is what a read of the agent returns (same
// version, all five jobs), so the reconcile may decide on it without that read.
func TestAgentSnapshotStandsForARead(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 2})
	a := startAgent(t, in, modeJournalState)
	first := a.watchUntil(t, 0, "a first state", func(flux.State) bool { return true })

	w := &recordingWatcher{Client: a.client, began: map[uint64]time.Time{}}
	events := make(chan event.GenericEvent, 64)
	f := source.NewFeeders(clock.RealClock{}, events, source.NewTriggers())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.Start(ctx) }()
	go func() { // the controller's queue, which these events would reach
		for {
			select {
			case <-events:
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	key := types.NamespacedName{Namespace: "ns", Name: "p"}
	f.Ensure(key, "uid", 1, w, first.Version)

	in.MustRun("submit", "--cc=1-5", "--urgency=hold", "true")
	want := a.watchUntil(t, first.Version, "five held jobs", func(s flux.State) bool {
		return s.Counts.Held == first.Counts.Held+5
	})
	var began time.Time
	in.WaitFor("the feeder's watch to wait on the burst's version", func() bool {
		at, ok := w.beganOn(want.Version)
		began = at
		return ok
	})
	in.WaitFor("SnapshotSettle to pass since that watch began", func() bool {
		return time.Since(began) > source.SnapshotSettle
	})
	g, ok := f.TakeDelivered(key)
	if !ok {
		t.Fatalf("no settled snapshot after the burst (version %d)", want.Version)
	}
	read, err := a.client.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if g.State.Version != read.Version || g.State.Counts != read.Counts || len(g.State.Jobs) != len(read.Jobs) {
		t.Errorf("delivered version %d counts %+v (%d jobs), a read now: version %d counts %+v (%d jobs)",
			g.State.Version, g.State.Counts, len(g.State.Jobs), read.Version, read.Counts, len(read.Jobs))
	}
	if g.State.Counts.Held != first.Counts.Held+5 || !g.Streamed {
		t.Errorf("delivered %d held (streamed %v), want %d held marked streamed", g.State.Counts.Held, g.Streamed, first.Counts.Held+5)
	}
	w.mu.Lock()
	t.Logf("the burst of 5 submits reached the feeder as %d versions; the settled one is %d", w.versions, g.State.Version)
	w.mu.Unlock()
}
