package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
)

// probeJobID is the simulated job a probe submits; converging used ID 1.
const probeJobID = 2

// latencies are trigger-to-scale times of a set of probes: to the resize of the object the
// controller writes (the MiniCluster's spec.size, or the bare Job), and to the Job's
// parallelism (through the operator, for a MiniCluster).
type latencies struct {
	toTarget, toJob []time.Duration
}

// probe submits a one-node job to each of the policies' clusters, pace apart, which each
// already run a 2-node job at size 2, so each policy wants size 3; it returns each probe's
// time from its submit to the new size.
func probe(ctx context.Context, sims simSources, targets, jobs *benchkit.SizeWatch, indexes []int,
	pace, timeout time.Duration) (latencies, error) {
	var (
		mu   sync.Mutex
		out  latencies
		errs []error
		wg   sync.WaitGroup
	)
	for _, i := range indexes {
		at := time.Now()
		if err := sims[policyName(i)].Submit(simulated.Job{ID: probeJobID, NNodes: 1, Runtime: time.Hour}); err != nil {
			return out, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tt, err1 := targets.WaitFor(ctx, targetName(i), maxSize, at, timeout)
			jt, err2 := jobs.WaitFor(ctx, targetName(i), maxSize, at, timeout)
			mu.Lock()
			defer mu.Unlock()
			if err1 != nil || err2 != nil {
				errs = append(errs, fmt.Errorf("probe of %s: %v %v", policyName(i), err1, err2))
				return
			}
			out.toTarget = append(out.toTarget, tt.Sub(at))
			out.toJob = append(out.toJob, jt.Sub(at))
		}()
		if err := sleep(ctx, pace); err != nil {
			return out, err
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		return out, fmt.Errorf("%d of %d probes: first: %w", len(errs), len(indexes), errs[0])
	}
	return out, nil
}

// probeSets picks two disjoint sets of k policies spread over 1..n-1 (policy 0 is the one
// that hangs), the first for the probes with every source healthy, the second for those
// with policy 0 hung.
func probeSets(n, k int) (healthy, withHung []int) {
	k = min(k, (n-1)/2)
	if k < 1 {
		return nil, nil
	}
	for j := range 2 * k {
		// Distinct because 2k <= n-1; spread over the whole range, late policies too.
		i := 1 + j*(n-1)/(2*k)
		if j%2 == 0 {
			healthy = append(healthy, i)
		} else {
			withHung = append(withHung, i)
		}
	}
	return healthy, withHung
}
