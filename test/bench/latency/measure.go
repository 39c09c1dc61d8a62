package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
)

// result is one path's latencies in one mode, with the load when it ended.
type result struct {
	path, mode string
	lat        []time.Duration
	load       string
	// writes is how many size changes the watch saw: one per event unless the controller
	// wrote sizes nobody asked for.
	writes int
}

// world is what both runs share: the cluster, the simulated Flux clusters behind agents,
// the application's token and the size watch.
type world struct {
	env     *benchkit.Env
	urls    map[string]string
	queue   *simulated.Cluster
	nextID  uint64
	token   string
	watch   *benchkit.SizeWatch
	seconds int32
	gap     time.Duration
}

func measure(ctx context.Context, c config, w io.Writer) error {
	fmt.Fprintln(w, "machine:", benchkit.Machine())
	env, err := benchkit.StartEnv(ctx)
	if err != nil {
		return err
	}
	defer env.Cluster.Stop()
	wd, err := setUpWorld(ctx, env, int32(c.pollSeconds))
	if err != nil {
		return err
	}
	wd.gap = c.gap
	var results []result
	ev, err := wd.phase(ctx, true, c.events)
	if err != nil {
		return fmt.Errorf("event-driven run: %w", err)
	}
	results = append(results, ev...)
	report(w, results, c.pollSeconds)
	base, err := wd.phase(ctx, false, c.baselineEvents)
	if err != nil {
		return fmt.Errorf("poll-only baseline: %w", err)
	}
	results = append(results, base...)
	report(w, results, c.pollSeconds)
	return writeCSV(filepath.Join(c.out, "latency.csv"), results)
}

func setUpWorld(ctx context.Context, env *benchkit.Env, poll int32) (*world, error) {
	wd := &world{env: env, urls: map[string]string{}, seconds: poll}
	for _, j := range []struct {
		name string
		size int32
	}{{hintJob, hintMin}, {queueJob, queueMin}} {
		if err := env.Client.Create(ctx, benchkit.IndexedJob(benchkit.Namespace, j.name, env.Node, j.size)); err != nil {
			return nil, fmt.Errorf("creating Job %s: %w", j.name, err)
		}
	}
	sims := map[string]*simulated.Cluster{}
	for _, t := range []struct {
		pol, job string
		size     int32
	}{{hintPolicy, hintJob, hintMin}, {queuePolicy, queueJob, queueMin}} {
		sim, err := simulated.New(simulated.Options{Start: time.Now(), MaxSize: maxSize, InitialSize: t.size})
		if err != nil {
			return nil, err
		}
		sims[t.job] = sim
		pol := t.pol
		if pol == queuePolicy {
			wd.queue = sim
		}
		if wd.urls[pol], err = serveAgent(ctx, sim); err != nil {
			return nil, err
		}
	}
	var err error
	if wd.token, err = appToken(ctx, env, hintPolicy); err != nil {
		return nil, err
	}
	if err := env.Client.Create(ctx, benchkit.PermissivePolicy(benchkit.Namespace, hintPolicy, hintJob, hintMin, maxSize, poll)); err != nil {
		return nil, err
	}
	if err := env.Client.Create(ctx, benchkit.PermissivePolicy(benchkit.Namespace, queuePolicy, queueJob, queueMin, maxSize, poll)); err != nil {
		return nil, err
	}
	// Flux ranks follow the Job's size at once (no pod start delay), as brokers joining
	// and leaving would: the mirror keeps the simulated cluster consistent with the target.
	mirror := func(job string, size int32) {
		if sim, ok := sims[job]; ok {
			_ = sim.Resize(min(size, maxSize)) // sizes stay within maxSize; nothing to do otherwise
		}
	}
	wd.watch, err = benchkit.WatchSizes(ctx, env.Cluster.Client(), benchkit.Namespace, mirror)
	return wd, err
}

// atRest waits up to 2 minutes for the queue path's Job to be at its minSize.
func (wd *world) atRest(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	for wd.watch.Current(queueJob) != queueMin {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s at parallelism %d after 2m, want %d at rest", queueJob, wd.watch.Current(queueJob), queueMin)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// phase runs n events on each path with a fresh controller, event triggers on or off.
// Event-driven paths run one after the other; baseline paths run side by side (each
// event waits for a poll, and the two policies poll independently).
func (wd *world) phase(ctx context.Context, events bool, n int) ([]result, error) {
	mode, timeout := "events", 30*time.Second
	if !events {
		mode, timeout = fmt.Sprintf("poll-only %ds", wd.seconds), time.Duration(wd.seconds)*time.Second*3
	}
	store := hints.NewStore(clock.RealClock{}, hints.StoreOptions{})
	var hs autoscaler.HintStore = store
	if !events {
		hs = newPollOnlyHints(store)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctrl, err := benchkit.StartController(ctx, wd.env.Cluster.RESTConfig(), benchkit.ControllerOptions{
		Sources: agentSources{urls: wd.urls, watch: events},
		Hints:   hs,
		AddExtras: func(mgr manager.Manager) error {
			cs, err := kubernetes.NewForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
			if err != nil {
				return err
			}
			// Rate limits raised: the benchmark posts hints back to back on purpose.
			srv := hints.NewServer(store, mgr.GetClient(), hints.NewKubeReviewer(cs.AuthenticationV1(), cs.AuthorizationV1()),
				clock.RealClock{}, hints.Options{Rate: 10000, Burst: 10000})
			return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error { return srv.Serve(ctx, ln) }))
		},
	})
	if err != nil {
		return nil, err
	}
	defer ctrl.Stop()
	// The queue policy at rest, and both decided at least once (so each Source and feeder
	// exists). The hint policy keeps the previous run's last hint (hintDown): the
	// controller restores hints from status, and the next event asks for hintUp anyway.
	if err := wd.atRest(ctx); err != nil {
		return nil, err
	}
	if err := waitDecisions(ctx, ctrl, 2); err != nil {
		return nil, err
	}
	paths := []path{
		hintPath(&hints.Client{BaseURL: "http://" + ln.Addr().String(), Token: wd.token}),
		queuePath(wd.queue, &wd.nextID),
	}
	out := make([]result, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		do := func() {
			before := wd.watch.Changes(p.job)
			lat, err := run(ctx, wd.watch, p, n, timeout, wd.gap)
			out[i], errs[i] = result{path: p.name, mode: mode, lat: lat, load: benchkit.Load(),
				writes: wd.watch.Changes(p.job) - before}, err
		}
		if events {
			do()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); do() }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// waitDecisions waits until the controller has made n decisions.
func waitDecisions(ctx context.Context, ctrl *benchkit.Controller, n float64) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		got, err := ctrl.Counter("fluxscale_decisions_total")
		if err != nil {
			return err
		}
		if got >= n {
			// The feeders' long-polls start after the first decision; give them a moment.
			time.Sleep(500 * time.Millisecond)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the controller made no %v decisions within 2m", n)
}
