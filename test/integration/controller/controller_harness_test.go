package controller_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// simSources is the SourceFactory of the tests: each policy reads the simulated Flux
// cluster registered under its name, through the same flux.Client and flux.Watcher
// interfaces a real source implements.
type simSources map[string]*simulated.Cluster

func (s simSources) NewSource(_ context.Context, sp *v1alpha1.ScalingPolicy, _ *target.Info) (source.Source, error) {
	c := s[sp.Name]
	return source.Source{Flux: c, Watcher: c}, nil
}

// runningController is the fluxscale controller running in this process, with the hint
// store it reads.
type runningController struct {
	*ctrltest.Controller
	hints *hints.Store
}

// startController runs the controller's manager (no leader election, no metrics or probe
// listeners) as the cluster admin, with the hint store and the given sources. It stops with
// the test.
func startController(t *testing.T, e *env, sources source.Factory) *runningController {
	t.Helper()
	return startControllerWith(t, e, sources, controllerSetup{cfg: e.Config})
}

// controllerSetup is who the controller runs as, where it elects its leader, and its options.
type controllerSetup struct {
	cfg *rest.Config
	// leaderNamespace, when set, turns leader election on with the Lease there.
	leaderNamespace string
	// notAppliedAfter is autoscaler.Options.NotAppliedAfter (0: the default).
	notAppliedAfter time.Duration
}

// startControllerWith is startController with the given setup.
func startControllerWith(t *testing.T, _ *env, sources source.Factory, id controllerSetup) *runningController {
	t.Helper()
	store := hints.NewStore(clock.RealClock{}, hints.StoreOptions{})
	c := ctrltest.StartController(t, ctrltest.ControllerOptions{
		Config:     id.cfg,
		Autoscaler: autoscaler.Options{Sources: sources, Hints: store, NotAppliedAfter: id.notAppliedAfter},
		Manager: func(o *ctrl.Options) {
			o.LeaderElection = id.leaderNamespace != ""
			o.LeaderElectionNamespace = id.leaderNamespace
			o.LeaderElectionID = "fluxscale-controller.fluxscale.dev"
		},
	})
	return &runningController{Controller: c, hints: store}
}
