package reliability

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// sources is the tests' SourceFactory: each policy reads the flux.Client registered under
// its name (a faults.Client around a simulated cluster, or an agent client behind a
// faults.Proxy). A policy without one gets an error, as a misconfigured source would.
type sources struct {
	mu      sync.Mutex
	clients map[string]flux.Client
}

func newSources() *sources { return &sources{clients: map[string]flux.Client{}} }

func (s *sources) add(policy string, c flux.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[policy] = c
}

func (s *sources) NewSource(_ context.Context, sp *v1alpha1.ScalingPolicy, _ *autoscaler.Target) (autoscaler.Source, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[sp.Name]
	if !ok {
		return autoscaler.Source{}, fmt.Errorf("no test source for policy %s", sp.Name)
	}
	src := autoscaler.Source{Flux: c}
	if w, ok := c.(flux.Watcher); ok {
		src.Watcher = w
	}
	return src, nil
}

// controllerOptions configure startController.
type controllerOptions struct {
	// namespace, when set, limits the manager's cache (and so the policies it sees) to it,
	// so several controllers can run side by side on one control plane.
	namespace string
	// leaderElection, when set, is the lease name the manager must hold to run.
	leaderElection string
	// hints, when set, is the hint store the controller reads.
	hints *hints.Store
}

// runningController is the fluxscale controller running in this process.
type runningController struct {
	cancel   context.CancelFunc
	done     chan error
	registry *prometheus.Registry
	elected  <-chan struct{}
	logs     *lockedLog
	stopOnce sync.Once
}

// startController runs the controller's manager (no metrics or probe listeners) with the
// given SourceFactory. It stops with the test.
func startController(t *testing.T, e *env, srcs autoscaler.SourceFactory, opts controllerOptions) *runningController {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	logs := &lockedLog{}
	mo := ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Logger:                 funcr.New(logs.write, funcr.Options{Verbosity: 1}),
		// Restarted and side-by-side controllers register the same name in this process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	}
	if opts.namespace != "" {
		mo.Cache = cache.Options{DefaultNamespaces: map[string]cache.Config{opts.namespace: {}}}
	}
	if opts.leaderElection != "" {
		mo.LeaderElection = true
		mo.LeaderElectionID = opts.leaderElection
		mo.LeaderElectionNamespace = opts.namespace
		// Short, so a takeover is quick; not so short that a leader on a loaded 2-core
		// machine under -race misses its renewals.
		mo.LeaseDuration = ptr.To(4 * time.Second)
		mo.RenewDeadline = ptr.To(3 * time.Second)
		mo.RetryPeriod = ptr.To(250 * time.Millisecond)
		// A stopped manager keeps its lease until it expires, as a crashed one does.
		mo.LeaderElectionReleaseOnCancel = false
	}
	mgr, err := ctrl.NewManager(e.cfg, mo)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := controllermetrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := autoscaler.SetupWithManager(ctx, mgr, autoscaler.Options{Sources: srcs, Metrics: m, Hints: hintStore(opts.hints)}); err != nil {
		cancel()
		t.Fatal(err)
	}
	rc := &runningController{cancel: cancel, done: make(chan error, 1), registry: reg, elected: mgr.Elected(), logs: logs}
	go func() { rc.done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		rc.stop(t)
		if t.Failed() {
			t.Logf("--- controller log:\n%s", logs.String())
		}
	})
	return rc
}

// hintStore returns s as the controller's HintStore, nil (no hints) when s is nil: a nil
// *hints.Store in the interface would not read as nil.
func hintStore(s *hints.Store) autoscaler.HintStore {
	if s == nil {
		return nil
	}
	return s
}

// stop stops the manager and waits for it, as a controller restart or crash would.
func (rc *runningController) stop(t *testing.T) {
	rc.stopOnce.Do(func() {
		rc.cancel()
		if err := <-rc.done; err != nil {
			t.Errorf("controller stopped with: %v", err)
		}
	})
}

// isLeader reports whether the manager won its election (always, without election).
func (rc *runningController) isLeader() bool {
	select {
	case <-rc.elected:
		return true
	default:
		return false
	}
}

// counter sums a counter (or histogram count) of the policy from the controller's registry.
func (rc *runningController) counter(t *testing.T, name, policy string) uint64 {
	t.Helper()
	families, err := rc.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			ok := false
			for _, l := range m.GetLabel() {
				ok = ok || (l.GetName() == "policy" && l.GetValue() == policy)
			}
			if !ok {
				continue
			}
			if h := m.GetHistogram(); h != nil {
				n += h.GetSampleCount()
			}
			if c := m.GetCounter(); c != nil {
				n += uint64(c.GetValue())
			}
		}
	}
	return n
}
