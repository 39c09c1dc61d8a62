package liveflux

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/test/liveflux"
)

// TestFeederHealthOnALiveStream runs the controller's feeder over the journal watcher of a live
// Flux: what it reports for the FluxWatch condition follows the stream. Following once a line
// came, Broken when the stream is cut (and Following again after the reconnect and the next
// change), Broken when the broker stops.
func TestFeederHealthOnALiveStream(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 2})
	r := newWatchRig(t, in)
	events := make(chan event.GenericEvent, 16)
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
	f.Ensure(key, "uid", 1, r.watcher, 0)

	state := func(want string) func() bool {
		return func() bool { h, ok := f.Health(key); return ok && h.State == want }
	}
	in.WaitFor("Following after the first state", state(source.WatchFollowing))

	r.stream.cutNow()
	in.WaitFor("Broken after the stream was cut", state(source.WatchBroken))
	h, _ := f.Health(key)
	t.Logf("cut: %s: %s", h.State, h.Err)
	if h.Err == "" {
		t.Error("Broken with no error to show in the condition")
	}
	// The feeder reconnects after its backoff; the next change comes through.
	in.MustRun("submit", "--urgency=hold", "-N1", "true")
	in.WaitFor("Following again after the reconnect", state(source.WatchFollowing))

	in.Stop()
	in.WaitFor("Broken after the broker stopped", state(source.WatchBroken))
	h, _ = f.Health(key)
	t.Logf("broker stopped: %s: %s", h.State, h.Err)
}
