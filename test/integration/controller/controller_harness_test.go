package controller_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// simSources is the SourceFactory of the tests: each policy reads the simulated Flux
// cluster registered under its name, through the same flux.Client and flux.Watcher
// interfaces a real source implements.
type simSources map[string]*simulated.Cluster

func (s simSources) NewSource(_ context.Context, sp *v1alpha1.ScalingPolicy, _ *autoscaler.Target) (autoscaler.Source, error) {
	c := s[sp.Name]
	return autoscaler.Source{Flux: c, Watcher: c}, nil
}

// runningController is the fluxscale controller running in this process.
type runningController struct {
	cancel   context.CancelFunc
	done     chan error
	registry *prometheus.Registry
	hints    *hints.Store
	logs     *lockedLog
	started  time.Time
	stopOnce sync.Once
}

// startController runs the controller's manager (no leader election, no metrics or probe
// listeners) as the cluster admin, with the hint store and the given sources. It stops with
// the test.
func startController(t *testing.T, e *env, sources autoscaler.SourceFactory) *runningController {
	t.Helper()
	return startControllerWith(t, e, sources, controllerSetup{cfg: e.cfg})
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
func startControllerWith(t *testing.T, e *env, sources autoscaler.SourceFactory, id controllerSetup) *runningController {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	logs := &lockedLog{}
	mgr, err := ctrl.NewManager(id.cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
		Logger:                  funcr.New(logs.write, funcr.Options{Verbosity: 1}),
		LeaderElection:          id.leaderNamespace != "",
		LeaderElectionNamespace: id.leaderNamespace,
		LeaderElectionID:        "fluxscale-controller.fluxscale.dev",
		// A restarted controller registers the same controller name in this process again.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := controllermetrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	store := hints.NewStore(clock.RealClock{}, hints.StoreOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := autoscaler.SetupWithManager(ctx, mgr, autoscaler.Options{Sources: sources, Metrics: m, Hints: store, NotAppliedAfter: id.notAppliedAfter}); err != nil {
		cancel()
		t.Fatal(err)
	}
	rc := &runningController{cancel: cancel, done: make(chan error, 1), registry: reg, hints: store, logs: logs, started: time.Now()}
	go func() { rc.done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		rc.stop(t)
		if t.Failed() {
			t.Logf("--- controller log:\n%s", logs.String())
		}
	})
	return rc
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

// counter sums a counter or histogram count of the policy from the controller's registry.
func (rc *runningController) counter(t *testing.T, name, policy string) (count uint64, sum float64) {
	t.Helper()
	families, err := rc.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !hasLabel(m.GetLabel(), "policy", policy) {
				continue
			}
			if h := m.GetHistogram(); h != nil {
				count += h.GetSampleCount()
				sum += h.GetSampleSum()
			}
			if c := m.GetCounter(); c != nil {
				count += uint64(c.GetValue())
			}
		}
	}
	return count, sum
}

// hasLabel reports whether labels hold name=value.
func hasLabel[L interface {
	GetName() string
	GetValue() string
}](labels []L, name, value string) bool {
	for _, l := range labels {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}
