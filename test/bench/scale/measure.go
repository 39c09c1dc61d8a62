package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
)

// row is one policy count's figures.
type row struct {
	policies int
	// sync is the time from the controller's start to one decision per policy.
	sync time.Duration
	// At rest over the window: decisions, API requests and CPU seconds per second.
	decisionsPerSec, apiPerSec, cpuPerSec float64
	restThrottle                          benchkit.Snapshot
	// converge is the time from every queue changing to every Job at its new size;
	// convergeAPI and convergeCPU what it cost.
	converge     time.Duration
	convergeAPI  benchkit.Snapshot
	convergeCPU  time.Duration
	maxRSSKiB    int64
	heapInuseMiB float64
	load         string
}

// simSources gives each policy its own simulated Flux cluster, read in process (no HTTP),
// as its Flux client and Watcher.
type simSources map[string]*simulated.Cluster

var _ source.Factory = simSources{}

func (s simSources) NewSource(_ context.Context, sp *v1alpha1.ScalingPolicy, _ *target.Info) (source.Source, error) {
	c, ok := s[sp.Name]
	if !ok {
		return source.Source{}, fmt.Errorf("no simulated Flux for policy %s", sp.Name)
	}
	return source.Source{Flux: c, Watcher: c}, nil
}

func measure(ctx context.Context, c config, n int) (row, error) {
	r := row{policies: n}
	env, err := benchkit.StartEnv(ctx)
	if err != nil {
		return r, err
	}
	defer env.Cluster.Stop()
	watch, err := benchkit.WatchSizes(ctx, env.Cluster.Client(), benchkit.Namespace, nil)
	if err != nil {
		return r, err
	}
	sims, err := createTargets(ctx, env, n, c.poll)
	if err != nil {
		return r, err
	}
	counter := &benchkit.APICounter{}
	cfg := counter.Instrument(env.Cluster.RESTConfig(), float32(c.qps), c.burst)
	started := time.Now()
	ctrl, err := benchkit.StartController(ctx, cfg, benchkit.ControllerOptions{Sources: sims})
	if err != nil {
		return r, err
	}
	defer ctrl.Stop()
	if err := waitDecisions(ctx, ctrl, n, c.converge); err != nil {
		return r, err
	}
	r.sync = time.Since(started)

	// At rest: only polls (every policy's queue is empty and its Job at minSize).
	p0, err := sample(ctrl, counter)
	if err != nil {
		return r, err
	}
	if err := sleep(ctx, c.window); err != nil {
		return r, err
	}
	p1, err := sample(ctrl, counter)
	if err != nil {
		return r, err
	}
	secs := p1.at.Sub(p0.at).Seconds()
	r.decisionsPerSec = (p1.decisions - p0.decisions) / secs
	r.apiPerSec = float64(p1.api.Sub(p0.api).Requests) / secs
	r.cpuPerSec = (p1.use.CPU - p0.use.CPU).Seconds() / secs
	r.restThrottle = p1.api.Sub(p0.api)

	// Every queue changes at once: a 2-node job runs on each simulated cluster, so each
	// policy wants size 2.
	changed := time.Now()
	for i := range n {
		if err := sims[policyName(i)].Submit(simulated.Job{ID: 1, NNodes: 2, Runtime: time.Hour}); err != nil {
			return r, err
		}
	}
	last, err := watch.WaitCount(ctx, n, 2, c.converge)
	if err != nil {
		return r, fmt.Errorf("converging: %w", err)
	}
	r.converge = last.Sub(changed)
	p2, err := sample(ctrl, counter)
	if err != nil {
		return r, err
	}
	r.convergeAPI = p2.api.Sub(p1.api)
	r.convergeCPU = p2.use.CPU - p1.use.CPU
	r.maxRSSKiB = p2.use.MaxRSSKiB
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.heapInuseMiB = float64(ms.HeapInuse) / (1 << 20)
	r.load = benchkit.Load()
	return r, nil
}

func policyName(i int) string { return fmt.Sprintf("pol-%04d", i) }

// point is the decision count, the API counters, the process's resource use and the
// time, read together.
type point struct {
	decisions float64
	api       benchkit.Snapshot
	use       benchkit.Usage
	at        time.Time
}

func sample(ctrl *benchkit.Controller, c *benchkit.APICounter) (point, error) {
	dec, err := ctrl.Counter("fluxscale_decisions_total")
	if err != nil {
		return point{}, err
	}
	use, err := benchkit.ReadUsage()
	return point{decisions: dec, api: c.Snapshot(), use: use, at: time.Now()}, err
}

// waitDecisions waits until the controller has made n decisions.
func waitDecisions(ctx context.Context, ctrl *benchkit.Controller, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got, err := ctrl.Counter("fluxscale_decisions_total")
		if err != nil {
			return err
		}
		if got >= float64(n) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%v of %d first decisions after %s", got, n, timeout)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
