package agent

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

func TestRunPollsEveryInterval(t *testing.T) {
	a := newTestAgent(t)
	a.source.set(sampleState(a.clock.Now()), nil)
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { a.server.Run(ctx); close(stopped) }()
	a.waitForVersion(t, a.version(1))
	a.waitForWaiters(t, 1)

	changed := sampleState(a.clock.Now())
	changed.Counts.Sched = 7
	a.source.set(changed, nil)
	a.clock.Step(time.Second) // the default interval
	a.waitForVersion(t, a.version(2))
	if reads, _, _ := a.source.calls(); reads != 2 {
		t.Errorf("%d reads after one interval, want 2", reads)
	}
	cancel()
	<-stopped
}

// fakeWatcher is a source that is also a flux.Watcher: Watch hands out the states the test
// queues, each once.
type fakeWatcher struct {
	fakeSource
	states chan flux.State

	mu     sync.Mutex
	sinces []uint64
}

func (w *fakeWatcher) Watch(ctx context.Context, since uint64) (flux.State, error) {
	w.mu.Lock()
	w.sinces = append(w.sinces, since)
	w.mu.Unlock()
	select {
	case st := <-w.states:
		return st, nil
	case <-ctx.Done():
		return flux.State{}, ctx.Err()
	}
}

func TestRunFollowsWatcher(t *testing.T) {
	a := newTestAgent(t)
	src := &fakeWatcher{states: make(chan flux.State)}
	srv, err := NewServer(Options{Source: src, Clock: a.clock})
	if err != nil {
		t.Fatal(err)
	}
	a.server = srv
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { srv.Run(ctx); close(stopped) }()

	first := sampleState(a.clock.Now())
	first.Version = 41 // the source's own versions are only used to call Watch again
	src.states <- first
	second := first
	second.Version = 42
	second.Counts.Run = 0
	src.states <- second
	a.waitForVersion(t, a.version(2))
	cancel()
	<-stopped

	src.mu.Lock()
	defer src.mu.Unlock()
	if len(src.sinces) < 2 || src.sinces[0] != 0 || src.sinces[1] != 41 {
		t.Errorf("Watch called with since %v, want 0 then 41", src.sinces)
	}
	if reads, _, _ := src.calls(); reads != 0 {
		t.Errorf("State called %d times on a watcher, want 0", reads)
	}
}

func TestRunPacesFailingWatcher(t *testing.T) {
	a := newTestAgent(t)
	src := &failingWatcher{}
	srv, err := NewServer(Options{Source: src, Clock: a.clock, Interval: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a.server = srv
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { srv.Run(ctx); close(stopped) }()
	a.waitForWaiters(t, 1) // paused after the first failure
	if n := src.count(); n != 1 {
		t.Fatalf("%d Watch calls before the pause ended, want 1", n)
	}
	a.clock.Step(5 * time.Second)
	a.waitForWaiters(t, 1)
	if n := src.count(); n != 2 {
		t.Errorf("%d Watch calls after one interval, want 2", n)
	}
	cancel()
	<-stopped
}

type failingWatcher struct {
	fakeSource
	mu    sync.Mutex
	calls int
}

func (w *failingWatcher) Watch(context.Context, uint64) (flux.State, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	return flux.State{}, errors.New("simulated cluster stopped")
}

func (w *failingWatcher) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls
}
