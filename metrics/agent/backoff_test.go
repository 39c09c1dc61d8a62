package agent

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// TestRunBacksOffFailingWatcher: the pause after a failed Watch doubles (5s, 10s) up to
// MaxBackoff (15s), so a broken stream is not retried in a tight loop.
func TestRunBacksOffFailingWatcher(t *testing.T) {
	a := newTestAgent(t)
	src := &failingWatcher{}
	srv, err := NewServer(Options{Source: src, Clock: a.clock, Interval: 5 * time.Second, MaxBackoff: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { srv.Run(ctx); close(stopped) }()
	for i, pause := range []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second, 15 * time.Second} {
		a.waitForWaiters(t, 1)
		if n := src.count(); n != i+1 {
			t.Fatalf("%d Watch calls before pause %d, want %d", n, i, i+1)
		}
		// Just short of the pause, nothing happens.
		a.clock.Step(pause - time.Millisecond)
		if n := src.count(); n != i+1 {
			t.Fatalf("%d Watch calls %v into pause %d of %v, want %d", n, pause-time.Millisecond, i, pause, i+1)
		}
		a.clock.Step(time.Millisecond)
	}
	cancel()
	<-stopped
}

// unavailableWatcher is a fake watcher whose journals cannot be followed.
type unavailableWatcher struct {
	fakeSource
}

func (w *unavailableWatcher) Watch(context.Context, uint64) (flux.State, error) {
	return flux.State{}, fmt.Errorf("%w: uid 1000 is not the instance owner", flux.ErrJournalUnavailable)
}

// TestRunFallsBackToPolling: a watcher that cannot follow Flux here makes the server poll
// State every Interval instead.
func TestRunFallsBackToPolling(t *testing.T) {
	a := newTestAgent(t)
	src := &unavailableWatcher{}
	src.set(sampleState(a.clock.Now()), nil)
	srv, err := NewServer(Options{Source: src, Clock: a.clock, Interval: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a.server = srv
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { srv.Run(ctx); close(stopped) }()
	a.waitForVersion(t, a.version(1))
	a.waitForWaiters(t, 1)
	a.clock.Step(2 * time.Second)
	err = wait.PollUntilContextTimeout(t.Context(), time.Millisecond, 10*time.Second, true,
		func(context.Context) (bool, error) { reads, _, _ := src.calls(); return reads == 2, nil })
	if reads, _, _ := src.calls(); err != nil || reads != 2 {
		t.Errorf("%d State reads after one interval of polling, want 2", reads)
	}
	cancel()
	<-stopped
}
