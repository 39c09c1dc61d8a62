package reliability

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/ctrltest"
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

func (s *sources) NewSource(_ context.Context, sp *v1alpha1.ScalingPolicy, _ *target.Info) (source.Source, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[sp.Name]
	if !ok {
		return source.Source{}, fmt.Errorf("no test source for policy %s", sp.Name)
	}
	src := source.Source{Flux: c}
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
type runningController = ctrltest.Controller

// startController runs the controller's manager (no metrics or probe listeners) with the
// given SourceFactory. It stops with the test.
func startController(t *testing.T, e *env, srcs source.Factory, opts controllerOptions) *runningController {
	t.Helper()
	return ctrltest.StartController(t, ctrltest.ControllerOptions{
		Config:     e.Config,
		Autoscaler: autoscaler.Options{Sources: srcs, Hints: hintStore(opts.hints)},
		Manager:    leaderOptions(opts),
	})
}

// leaderOptions sets the manager's cache namespace and leader election from opts.
func leaderOptions(opts controllerOptions) func(*ctrl.Options) {
	return func(mo *ctrl.Options) {
		if opts.namespace != "" {
			mo.Cache = cache.Options{DefaultNamespaces: map[string]cache.Config{opts.namespace: {}}}
		}
		if opts.leaderElection == "" {
			return
		}
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
}

// hintStore returns s as the controller's HintStore, nil (no hints) when s is nil: a nil
// *hints.Store in the interface would not read as nil.
func hintStore(s *hints.Store) autoscaler.HintStore {
	if s == nil {
		return nil
	}
	return s
}
