package simulated

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// waitBound bounds every blocking wait in these tests; the waits end far sooner.
const waitBound = 30 * time.Second

type watchResult struct {
	s   flux.State
	err error
}

func TestWatchReturnsOnChange(t *testing.T) {
	c := newCluster(t, Options{MaxSize: 2, InitialSize: 2})
	v := mustVersion(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	got := make(chan watchResult, 1)
	go func() {
		s, err := c.Watch(ctx, v)
		got <- watchResult{s, err}
	}()
	mustSubmit(t, c, Job{ID: 1, NNodes: 1, Runtime: time.Second})
	r := <-got
	if r.err != nil || r.s.Version == v || r.s.Counts.Run != 1 {
		t.Errorf("Watch returned version %d (was %d), %d running, error %v; want the state with job 1 running", r.s.Version, v, r.s.Counts.Run, r.err)
	}
	// A stale version returns at once.
	if s, err := c.Watch(ctx, v); err != nil || s.Version == v {
		t.Errorf("Watch(stale) = version %d, %v; want the current state at once", s.Version, err)
	}
}

func TestWatchEndsWithContext(t *testing.T) {
	c := newCluster(t, Options{MaxSize: 2, InitialSize: 2})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Watch(ctx, mustVersion(t, c)); !errors.Is(err, context.Canceled) {
		t.Errorf("Watch on a canceled context: %v, want context.Canceled", err)
	}
}

func TestFollowStepsWithTheClock(t *testing.T) {
	clk := clocktesting.NewFakeClock(epoch)
	c := newCluster(t, Options{MaxSize: 2, InitialSize: 2})
	mustSubmit(t, c, Job{ID: 1, Submit: epoch.Add(10 * time.Second), NNodes: 1, Runtime: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Follow(ctx, clk, 5*time.Second) }()
	ticking := func(context.Context) (bool, error) { return clk.HasWaiters(), nil }
	if err := wait.PollUntilContextTimeout(ctx, time.Millisecond, waitBound, true, ticking); err != nil {
		t.Fatalf("Follow never started its ticker: %v", err)
	}
	v := mustVersion(t, c)
	clk.Step(10 * time.Second)
	s, err := c.Watch(ctx, v)
	if err != nil || s.Counts.Run != 1 || !s.ObservedAt.Equal(epoch.Add(10*time.Second)) {
		t.Errorf("after the clock moved 10 s: %d running at %s (error %v); want job 1 running at %s", s.Counts.Run, s.ObservedAt, err, epoch.Add(10*time.Second))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Follow returned %v after cancel, want nil", err)
	}
}
