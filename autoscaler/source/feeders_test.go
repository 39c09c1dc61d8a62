package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// scriptedWatcher answers each Watch with the next scripted reply, recording the since it
// was asked with; it blocks when the script is exhausted.
type scriptedWatcher struct {
	replies chan watchReply
	asked   chan uint64
}

type watchReply struct {
	version uint64
	err     error
}

func (w *scriptedWatcher) Watch(ctx context.Context, since uint64) (flux.State, error) {
	select {
	case w.asked <- since:
	case <-ctx.Done():
		return flux.State{}, ctx.Err()
	}
	select {
	case r := <-w.replies:
		return flux.State{Version: r.version}, r.err
	case <-ctx.Done():
		return flux.State{}, ctx.Err()
	}
}

func TestFeederSendsOneEventPerChangeAndBacksOffOnErrors(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	events := make(chan event.GenericEvent, 10)
	triggers := NewTriggers()
	f := NewFeeders(clk, events, triggers)
	w := &scriptedWatcher{replies: make(chan watchReply), asked: make(chan uint64)}
	key := types.NamespacedName{Namespace: ns, Name: "p"}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.Start(ctx) }()
	f.Ensure(key, "uid", 1, w, 5)

	expectAsked := func(want uint64) {
		t.Helper()
		select {
		case got := <-w.asked:
			if got != want {
				t.Fatalf("Watch since %d, want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no Watch(since=%d) call", want)
		}
	}
	expectEvent := func() {
		t.Helper()
		select {
		case e := <-events:
			if e.Object.GetName() != "p" || e.Object.GetNamespace() != ns {
				t.Fatalf("event for %s/%s", e.Object.GetNamespace(), e.Object.GetName())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no event after a state change")
		}
	}

	health := func(wantState, wantErr string) WatchHealth {
		t.Helper()
		h, ok := f.Health(key)
		if !ok || h.State != wantState || h.Err != wantErr {
			t.Fatalf("Health %+v %v, want state %s, error %q", h, ok, wantState, wantErr)
		}
		return h
	}

	// The first Watch starts from the version the reconcile read. Before it answers there is
	// no health to report.
	if h, ok := f.Health(key); ok {
		t.Fatalf("Health %+v before the first Watch answered", h)
	}
	expectAsked(5)
	w.replies <- watchReply{version: 6}
	expectEvent()
	health(WatchFollowing, "")
	if tr, ok := triggers.Take(key); !ok || tr.Kind != controllermetrics.TriggerFluxState || !tr.At.Equal(t0) {
		t.Errorf("trigger %+v %v, want a flux-state trigger at %v", tr, ok, t0)
	}

	// A failure waits for the backoff on the injected clock before watching again.
	expectAsked(6)
	w.replies <- watchReply{err: errors.New("agent unreachable")}
	err := wait.PollUntilContextTimeout(ctx, time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return clk.HasWaiters(), nil
	})
	if err != nil {
		t.Fatal("the feeder did not wait on the clock after a failed Watch")
	}
	select {
	case since := <-w.asked:
		t.Fatalf("watched again (since %d) without backing off", since)
	default:
	}
	if h := health(WatchBroken, "agent unreachable"); !h.Since.Equal(t0) || !h.Retry.After(t0) {
		t.Errorf("Broken since %v, next try %v: want since %v and a later try", h.Since, h.Retry, t0)
	}
	clk.Step(time.Minute)
	expectAsked(6)
	w.replies <- watchReply{version: 7}
	expectEvent()
	if h := health(WatchFollowing, ""); !h.Since.Equal(t0.Add(time.Minute)) {
		t.Errorf("Following again since %v, want %v", h.Since, t0.Add(time.Minute))
	}

	// stop ends the feeder, and its health with it; Start returns when ctx ends.
	f.Stop(key)
	if h, ok := f.Health(key); ok {
		t.Errorf("Health %+v after Stop", h)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(events) != 0 {
		t.Errorf("%d extra events", len(events))
	}
}

// TestFeederWaitsLongWhenStreamingIsUnavailable: a source that cannot stream here at all
// (flux.ErrJournalUnavailable) is tried again only after unavailableRetry, not at the
// backoff's pace; no event is sent, so the policy goes on at its poll interval.
func TestFeederWaitsLongWhenStreamingIsUnavailable(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	events := make(chan event.GenericEvent, 10)
	f := NewFeeders(clk, events, NewTriggers())
	w := &scriptedWatcher{replies: make(chan watchReply), asked: make(chan uint64)}
	key := types.NamespacedName{Namespace: ns, Name: "p"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.Start(ctx) }()
	f.Ensure(key, "uid", 1, w, 0)

	<-w.asked
	w.replies <- watchReply{err: fmt.Errorf("%w: not the instance owner", flux.ErrJournalUnavailable)}
	if err := wait.PollUntilContextTimeout(ctx, time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return clk.HasWaiters(), nil
	}); err != nil {
		t.Fatal("the feeder did not wait on the clock")
	}
	if h, ok := f.Health(key); !ok || h.State != WatchUnavailable || !h.Retry.Equal(t0.Add(unavailableRetry)) ||
		!strings.Contains(h.Err, "not the instance owner") {
		t.Errorf("Health %+v %v, want Unavailable, next try at %v, naming the reason", h, ok, t0.Add(unavailableRetry))
	}
	clk.Step(unavailableRetry - time.Second) // past any backoff, short of the retry
	select {
	case <-w.asked:
		t.Fatal("watched again before unavailableRetry")
	case <-time.After(50 * time.Millisecond):
	}
	clk.Step(time.Second)
	select {
	case <-w.asked:
	case <-time.After(10 * time.Second):
		t.Fatal("no new Watch after unavailableRetry")
	}
	f.Stop(key)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(events) != 0 {
		t.Errorf("%d events from a source that cannot stream, want 0", len(events))
	}
}

// carryingWatcher is a scriptedWatcher that says whether its states are whole reads made
// where Flux runs (the Exec stream in program-reads mode).
type carryingWatcher struct {
	*scriptedWatcher
	carries bool
}

func (w carryingWatcher) CarriesState() bool { return w.carries }

// A state a state-carrying watcher returned waits for the reconcile it triggers, marked as
// streamed and stamped with its arrival; a watcher whose states are triggers only (the Exec
// stream's lines) delivers nothing, nor does one that can carry states but does not here;
// Stop drops what waits.
func TestFeederDeliversOnlyCarriedStates(t *testing.T) {
	for name, c := range map[string]struct {
		watcher flux.Watcher
		deliver bool
	}{
		"carrier":          {watcher: carryingWatcher{carries: true}, deliver: true},
		"carrier, not now": {watcher: carryingWatcher{carries: false}},
		"plain watcher":    {},
	} {
		t.Run(name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(t0)
			events := make(chan event.GenericEvent, 10)
			f := NewFeeders(clk, events, NewTriggers())
			sw := &scriptedWatcher{replies: make(chan watchReply), asked: make(chan uint64)}
			var w flux.Watcher = sw
			if cw, ok := c.watcher.(carryingWatcher); ok {
				cw.scriptedWatcher = sw
				w = cw
			}
			key := types.NamespacedName{Namespace: ns, Name: "p"}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- f.Start(ctx) }()
			defer func() {
				cancel()
				<-done
			}()
			f.Ensure(key, "uid", 1, w, 1)
			<-sw.asked
			sw.replies <- watchReply{version: 2}
			select {
			case <-events:
			case <-time.After(10 * time.Second):
				t.Fatal("no event after a state change")
			}
			g, ok := f.TakeDelivered(key)
			if ok != c.deliver {
				t.Fatalf("delivered %v (%+v), want %v", ok, g, c.deliver)
			}
			if ok && (g.State.Version != 2 || !g.At.Equal(t0) || !g.Streamed) {
				t.Errorf("delivered %+v, want version 2 received at %s, marked streamed", g, t0)
			}
			if _, ok := f.TakeDelivered(key); ok {
				t.Error("a delivery was taken twice")
			}
			f.Deliver(key, GoodState{State: flux.State{Version: 9}, Streamed: true})
			f.Deliver(key, GoodState{State: flux.State{Version: 8}, Streamed: true})
			if g, _ := f.TakeDelivered(key); g.State.Version != 9 {
				t.Errorf("waiting version %d, want 9: an older state replaced a newer one", g.State.Version)
			}
			f.Deliver(key, GoodState{State: flux.State{Version: 10}, Streamed: true})
			f.Stop(key)
			if _, ok := f.TakeDelivered(key); ok {
				t.Error("a delivery outlived its policy's feeder")
			}
		})
	}
}

// snapshotWatcher is a scriptedWatcher whose states are whole snapshots of a store (the
// agent's long-poll).
type snapshotWatcher struct{ *scriptedWatcher }

func (snapshotWatcher) WatchesSnapshots() bool { return true }

// A snapshot stands for a read only once the watch that followed it has waited
// SnapshotSettle on its version: before that the store may already hold a newer one. An
// unchanged answer keeps the wait; a failed watch ends it.
func TestFeederSnapshotStandsForAReadOnceItsWatchSettles(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	events := make(chan event.GenericEvent, 10)
	f := NewFeeders(clk, events, NewTriggers())
	sw := &scriptedWatcher{replies: make(chan watchReply), asked: make(chan uint64)}
	key := types.NamespacedName{Namespace: ns, Name: "p"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.Start(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	f.Ensure(key, "uid", 1, snapshotWatcher{sw}, 1)
	// reply answers the waiting watch with a new version and waits for the event and for
	// the next watch, which must wait on that version.
	reply := func(version uint64) {
		t.Helper()
		sw.replies <- watchReply{version: version}
		select {
		case <-events:
		case <-time.After(10 * time.Second):
			t.Fatal("no event after a state change")
		}
		if got := <-sw.asked; got != version {
			t.Fatalf("Watch since %d, want %d", got, version)
		}
	}
	take := func(want bool, version uint64) {
		t.Helper()
		g, ok := f.TakeDelivered(key)
		if ok != want {
			t.Fatalf("at %s: delivered %v (%+v), want %v", clk.Since(t0), ok, g, want)
		}
		if ok && (g.State.Version != version || !g.Streamed) {
			t.Errorf("delivered %+v, want version %d marked streamed", g, version)
		}
	}
	<-sw.asked

	reply(2)
	take(false, 0) // its watch has only just begun to wait
	reply(3)
	clk.Step(SnapshotSettle - time.Millisecond)
	take(false, 0)
	reply(4)
	clk.Step(SnapshotSettle)
	take(true, 4)

	reply(5)
	clk.Step(SnapshotSettle / 2)
	sw.replies <- watchReply{version: 5} // unchanged: no event, the same wait goes on
	if got := <-sw.asked; got != 5 {
		t.Fatalf("Watch since %d after an unchanged answer, want 5", got)
	}
	clk.Step(SnapshotSettle / 2)
	take(true, 5)

	reply(6)
	clk.Step(SnapshotSettle)
	sw.replies <- watchReply{err: errors.New("connection reset")}
	if err := wait.PollUntilContextTimeout(ctx, time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		h, _ := f.Health(key)
		return h.State == WatchBroken, nil
	}); err != nil {
		t.Fatal("the feeder did not record the failed watch")
	}
	take(false, 0) // no watch waits while the feeder backs off
}
