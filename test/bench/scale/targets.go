package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
)

// createTargets creates n Indexed Jobs of parallelism 1 and n policies (minSize 1, maxSize
// 2, permissive behavior) over them, with 8 concurrent creators, and returns each policy's
// simulated Flux cluster (2 ranks up, empty queue).
func createTargets(ctx context.Context, env *benchkit.Env, n int, poll int32) (simSources, error) {
	sims := simSources{}
	for i := range n {
		sim, err := simulated.New(simulated.Options{Start: time.Now(), MaxSize: 2, InitialSize: 2})
		if err != nil {
			return nil, err
		}
		sims[policyName(i)] = sim
	}
	work := make(chan int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				job := fmt.Sprintf("job-%04d", i)
				if err := env.Client.Create(ctx, benchkit.IndexedJob(benchkit.Namespace, job, env.Node, 1)); err != nil {
					errs <- fmt.Errorf("creating Job %s: %w", job, err)
					return
				}
				sp := benchkit.PermissivePolicy(benchkit.Namespace, policyName(i), job, 1, 2, poll)
				if err := env.Client.Create(ctx, sp); err != nil {
					errs <- fmt.Errorf("creating ScalingPolicy %s: %w", sp.Name, err)
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := range n {
		select {
		case work <- i:
		case err = <-errs:
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return sims, err
}
