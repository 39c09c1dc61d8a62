package ctrltest

import (
	"context"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// NewSim is a simulated Flux cluster of maxSize ranks, none up until a Mirror sees pods,
// whose virtual time follows the real clock. It stops with the test.
func NewSim(t *testing.T, maxSize int32) *simulated.Cluster {
	t.Helper()
	sim, err := simulated.New(simulated.Options{Start: time.Now(), MaxSize: maxSize})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Follow(ctx, clock.RealClock{}, 20*time.Millisecond) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulated cluster: %v", err)
		}
	})
	return sim
}

// Submit queues n jobs of one node each running for d, with ids from firstID.
func Submit(t *testing.T, sim *simulated.Cluster, firstID uint64, n int, d time.Duration) {
	t.Helper()
	for i := range n {
		if err := sim.Submit(simulated.Job{ID: firstID + uint64(i), NNodes: 1, Runtime: d}); err != nil {
			t.Fatal(err)
		}
	}
}
