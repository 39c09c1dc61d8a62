package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"k8s.io/client-go/dynamic"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
	"github.com/fluxscale/fluxscale/test/minicluster"
)

// row is one policy count's figures.
type row struct {
	policies int
	// firstDecisions is the time from the controller's start until every policy has been
	// decided at least once (distinct policies, not decisions).
	firstDecisions time.Duration
	// rest covers the at-rest window (polls only).
	rest     benchkit.Snapshot
	restSecs float64
	// decisionsPerSec, passesPerSec and cpuPerSec are at rest. A pass that decides counts
	// once in each; one that ends before deciding (a conflict, a failed write) only in
	// passes, so the two apart say whether the period or the passes fall short.
	decisionsPerSec, passesPerSec, cpuPerSec float64
	// restFlux counts the rest window's calls on the simulated Flux clusters.
	restFlux fluxCounts
	// decisionsEach is each policy's decisions in the rest window, sorted: a rate short of
	// one per poll is either every policy a little late or some policies left out.
	decisionsEach []float64
	// passMean is a reconcile's mean duration at rest (the poll is a period counted from
	// each pass's start, so it does not add to it).
	passMean time.Duration
	// rssMiB is the process's resident set at the end of the window; heapMiB the Go heap
	// in use then minus before the controller started (the simulated clusters' share).
	rssMiB, heapMiB, simHeapMiB float64
	// convergeTarget is the time from every queue changing to every target resized (the
	// MiniCluster's spec.size, the controller's write); convergeJob to every Job at its
	// new parallelism (through the operator). convergeAPI and convergeCPU are their cost.
	convergeTarget, convergeJob time.Duration
	// convergeEach is each target's own time to its new size.
	convergeEach []time.Duration
	convergeAPI  benchkit.Snapshot
	convergeCPU  time.Duration
	// convergeFlux counts the converge's calls on the simulated Flux clusters, and
	// convergeDecisions and convergePasses are its decisions and passes: every pass that
	// decides takes one state, read or delivered by its watch.
	convergeFlux      fluxCounts
	convergeDecisions float64
	convergePasses    uint64
	// healthy and withHung are trigger-to-scale probes with every source healthy and with
	// one policy's Flux hung.
	healthy, withHung latencies
	// total covers the row from the controller's start.
	total     benchkit.Snapshot
	maxRSSMiB float64
	load      string
}

// simSources gives each policy its own simulated Flux cluster, read in process (no HTTP),
// as its Flux client and Watcher, wrapped to hang on demand (hangable) and to count the
// calls (countingCluster).
type simSources map[string]*hangable

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
	// The watches and the stand-in end with this row, before its control plane stops.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs, err := benchkit.WatchSizes(ctx, env.Cluster.Client(), benchkit.Namespace, nil)
	if err != nil {
		return r, err
	}
	targets := jobs
	if c.kind == kindMiniCluster {
		var stopOperator func()
		if targets, stopOperator, err = startOperator(ctx, env); err != nil {
			return r, err
		}
		defer stopOperator()
	}
	sims, err := createTargets(ctx, env, c.kind, n, c.poll)
	if err != nil {
		return r, err
	}
	progress("%d targets and policies created", n)
	if err := waitPodsRunning(ctx, env, n, c.converge); err != nil {
		return r, err
	}
	progress("%d pods Running", n)
	runtime.GC()
	simHeap := heapMiB()

	counter := &benchkit.APICounter{}
	cfg := counter.Instrument(env.Cluster.RESTConfig(), float32(c.qps), c.burst)
	started := time.Now()
	opts := benchkit.ControllerOptions{Sources: sims, MaxConcurrentReconciles: c.workers}
	if c.clock == clockWholeSeconds {
		opts.Clock = benchkit.WholeSecondClock{}
	}
	ctrl, err := benchkit.StartController(ctx, cfg, opts)
	if err != nil {
		return r, err
	}
	defer ctrl.Stop()
	if err := waitPolicies(ctx, ctrl, n, c.converge); err != nil {
		return r, err
	}
	r.firstDecisions = time.Since(started)
	progress("every policy decided after %s", r.firstDecisions)

	// At rest: only polls (every policy's queue is empty and its target at minSize). The
	// settle wait lets the first passes' writes (each new policy's first status) finish.
	if err := sleep(ctx, c.settle); err != nil {
		return r, err
	}
	p0, err := sample(ctrl, counter, sims)
	if err != nil {
		return r, err
	}
	if err := sleep(ctx, c.window); err != nil {
		return r, err
	}
	p1, err := sample(ctrl, counter, sims)
	if err != nil {
		return r, err
	}
	r.restSecs = p1.at.Sub(p0.at).Seconds()
	r.decisionsPerSec = (p1.decisions - p0.decisions) / r.restSecs
	r.passesPerSec = float64(p1.passes-p0.passes) / r.restSecs
	for i := range n {
		k := benchkit.PolicyKey{benchkit.Namespace, policyName(i)}
		r.decisionsEach = append(r.decisionsEach, p1.each[k]-p0.each[k])
	}
	slices.Sort(r.decisionsEach)
	if n := p1.passes - p0.passes; n > 0 {
		r.passMean = time.Duration((p1.passSecs - p0.passSecs) / float64(n) * float64(time.Second))
	}
	r.cpuPerSec = (p1.use.CPU - p0.use.CPU).Seconds() / r.restSecs
	r.rest = p1.api.Sub(p0.api)
	r.restFlux = p1.flux.sub(p0.flux)
	r.rssMiB = float64(p1.use.RSSKiB) / 1024
	r.heapMiB, r.simHeapMiB = heapMiB()-simHeap, simHeap

	// Every queue changes at once: a 2-node job runs on each simulated cluster, so each
	// policy wants size 2.
	changed := time.Now()
	for i := range n {
		if err := sims[policyName(i)].Submit(simulated.Job{ID: 1, NNodes: 2, Runtime: time.Hour}); err != nil {
			return r, err
		}
	}
	last, err := targets.WaitCount(ctx, n, 2, c.converge)
	if err != nil {
		return r, fmt.Errorf("converging: %w", err)
	}
	r.convergeTarget = last.Sub(changed)
	r.convergeEach = targets.Reached(2, changed)
	if last, err = jobs.WaitCount(ctx, n, 2, c.converge); err != nil {
		return r, fmt.Errorf("converging Jobs: %w", err)
	}
	r.convergeJob = last.Sub(changed)
	p2, err := sample(ctrl, counter, sims)
	if err != nil {
		return r, err
	}
	r.convergeAPI = p2.api.Sub(p1.api)
	r.convergeCPU = p2.use.CPU - p1.use.CPU
	r.convergeFlux = p2.flux.sub(p1.flux)
	r.convergeDecisions = p2.decisions - p1.decisions
	r.convergePasses = p2.passes - p1.passes

	progress("converged in %s (Jobs %s)", r.convergeTarget, r.convergeJob)
	// The probes wait for the pods of the resize (the Job controller creates them at its
	// own pace), so they do not meet the API server busiest with the convergence they
	// followed while the probes with the hung source, later, met a calmer one.
	if err := waitPodsRunning(ctx, env, 2*n, c.converge); err != nil {
		progress("probing anyway: %v", err)
	} else {
		progress("%d pods Running", 2*n)
	}
	if err := probeBoth(ctx, c, &r, sims, targets, jobs); err != nil {
		return r, err
	}
	end, err := sample(ctrl, counter, sims)
	if err != nil {
		return r, err
	}
	r.total = end.api
	r.maxRSSMiB = float64(end.use.MaxRSSKiB) / 1024
	r.load = benchkit.Load()
	return r, nil
}

// probeBoth measures trigger-to-scale on spread policies with every source healthy, then
// hangs policy 0's Flux, triggers it so a worker waits on it, and measures other policies.
func probeBoth(ctx context.Context, c config, r *row, sims simSources, targets, jobs *benchkit.SizeWatch) error {
	healthy, withHung := probeSets(r.policies, c.probes)
	var err error
	if r.healthy, err = probe(ctx, sims, targets, jobs, healthy, c.pace, c.converge); err != nil {
		return fmt.Errorf("probes, every source healthy: %w", err)
	}
	hung := sims[policyName(0)]
	hung.hung.Store(true)
	// The submit wakes its watch, whose reconcile then waits flux.timeoutSeconds on the
	// read; the poll brings the policy back to a hung read every period after.
	if err := hung.Submit(simulated.Job{ID: probeJobID, NNodes: 1, Runtime: time.Hour}); err != nil {
		return err
	}
	if err := sleep(ctx, time.Second); err != nil {
		return err
	}
	if r.withHung, err = probe(ctx, sims, targets, jobs, withHung, c.pace, c.converge); err != nil {
		return fmt.Errorf("probes, policy 0's Flux hung: %w", err)
	}
	return nil
}

// startOperator installs the MiniCluster CRD, runs the operator stand-in in a child
// process, and watches the MiniClusters' sizes until ctx ends. Call stop when done.
func startOperator(ctx context.Context, env *benchkit.Env) (_ *benchkit.SizeWatch, stop func(), err error) {
	cfg := env.Cluster.RESTConfig()
	if err := minicluster.Install(ctx, cfg); err != nil {
		return nil, nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	watch, err := benchkit.WatchMiniClusterSizes(ctx, dyn, benchkit.Namespace)
	if err != nil {
		return nil, nil, err
	}
	if stop, err = startStandIn(env.Cluster.KubeconfigPath(), env.Node); err != nil {
		return nil, nil, err
	}
	return watch, stop, nil
}

// progress notes a step on stderr, with the time and load, for whoever watches a long run.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s [load %s] %s\n", time.Now().UTC().Format("15:04:05"), benchkit.Load(), fmt.Sprintf(format, args...))
}

func heapMiB() float64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// point is the decision count, the API and Flux counters, the process's resource use and
// the time, read together.
type point struct {
	decisions float64
	each      map[benchkit.PolicyKey]float64
	// passSecs and passes are the reconciles' summed duration and count.
	passSecs float64
	passes   uint64
	api      benchkit.Snapshot
	flux     fluxCounts
	use      benchkit.Usage
	at       time.Time
}

// The time is the middle of the decision counter's scrape: at 2,000 policies a scrape of
// the controller's metrics takes long enough on a loaded machine that a time read after it,
// and after the second scrape, would skew a 3 minute window's rate by a percent.
func sample(ctrl *benchkit.Controller, c *benchkit.APICounter, sims simSources) (point, error) {
	before := time.Now()
	each, err := ctrl.PerPolicy("fluxscale_decisions_total")
	if err != nil {
		return point{}, err
	}
	var dec float64
	for _, v := range each {
		dec += v
	}
	at := before.Add(time.Since(before) / 2)
	api, fl := c.Snapshot(), sims.fluxCounts()
	passSecs, passes, err := ctrl.HistogramSum("fluxscale_reconcile_duration_seconds")
	if err != nil {
		return point{}, err
	}
	use, err := benchkit.ReadUsage()
	return point{decisions: dec, each: each, passSecs: passSecs, passes: passes, api: api, flux: fl, use: use, at: at}, err
}

// waitPolicies waits until the controller has decided for n distinct policies: a policy
// decided twice counts once, so early policies' repeats do not hide late ones.
func waitPolicies(ctx context.Context, ctrl *benchkit.Controller, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got, err := ctrl.Policies("fluxscale_decisions_total")
		if err != nil {
			return err
		}
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d policies decided after %s", got, n, timeout)
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
