package source

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/external"
)

// fakeStreams is a fake StreamFunc: each call reports its scaler on opened, then pushes once
// per value sent on push until a value on end, which it returns.
type fakeStreams struct {
	opened chan string
	push   chan struct{}
	end    chan error
}

func newFakeStreams() *fakeStreams {
	return &fakeStreams{opened: make(chan string, 10), push: make(chan struct{}), end: make(chan error)}
}

func (f *fakeStreams) stream(ctx context.Context, s external.Scaler, onActive func()) error {
	f.opened <- s.Address
	for {
		select {
		case <-f.push:
			onActive()
		case err := <-f.end:
			return err
		case <-ctx.Done():
			return nil
		}
	}
}

func TestExternalStreamsPushAndReconnect(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	events := make(chan event.GenericEvent, 10)
	triggers := NewTriggers()
	fake := newFakeStreams()
	x := NewExternalStreams(clk, events, triggers, fake.stream)
	key := types.NamespacedName{Namespace: ns, Name: "p"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- x.Start(ctx) }()
	defer func() { cancel(); <-done }()

	x.Ensure(key, 1, external.Scaler{Address: "a:1"})
	x.Ensure(key, 1, external.Scaler{Address: "a:1"}) // the same: kept, not reopened
	if got := <-fake.opened; got != "a:1" {
		t.Fatalf("opened %q, want a:1", got)
	}
	fake.push <- struct{}{}
	if ev := <-events; ev.Object.GetName() != "p" || ev.Object.GetNamespace() != ns {
		t.Errorf("event for %s/%s, want %s/p", ev.Object.GetNamespace(), ev.Object.GetName(), ns)
	}
	if tr, ok := triggers.Take(key); !ok || tr.Kind != controllermetrics.TriggerExternal {
		t.Errorf("trigger %+v (%v), want %s", tr, ok, controllermetrics.TriggerExternal)
	}

	// A broken stream reconnects after the backoff's first step (1 s, randomized by half).
	fake.end <- errors.New("connection reset")
	waitForWaiters(t, clk)
	clk.Step(2 * time.Second)
	if got := <-fake.opened; got != "a:1" {
		t.Fatalf("reopened %q, want a:1", got)
	}
	// A scaler without StreamIsActive is tried again only after noStreamRetry.
	fake.end <- external.ErrNoStream
	waitForWaiters(t, clk)
	clk.Step(noStreamRetry - time.Second)
	select {
	case got := <-fake.opened:
		t.Fatalf("reopened %q before noStreamRetry", got)
	default:
	}
	clk.Step(time.Second)
	<-fake.opened

	// Another address replaces the stream; Retain without the index stops it.
	x.Ensure(key, 1, external.Scaler{Address: "b:2"})
	if got := <-fake.opened; got != "b:2" {
		t.Fatalf("opened %q, want b:2", got)
	}
	x.Retain(key, map[int]bool{0: true})
	if n := x.Running(); n != 0 {
		t.Errorf("%d streams after Retain without index 1, want 0", n)
	}
}

// waitForWaiters waits until the stream's goroutine waits on the fake clock.
func waitForWaiters(t *testing.T, clk *clocktesting.FakeClock) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !clk.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("the stream never waited on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}
