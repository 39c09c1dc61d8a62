package benchkit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
)

// ControllerOptions configure StartController.
type ControllerOptions struct {
	// Sources builds each policy's Flux source; required.
	Sources source.Factory
	// Hints is the hint store; nil serves no hints.
	Hints autoscaler.HintStore
	// AddExtras, when set, adds what runs beside the controller (a hint API server) to
	// its manager before the controller is set up.
	AddExtras func(manager.Manager) error
	// MaxConcurrentReconciles is passed to the controller; 0 keeps its default
	// (autoscaler.DefaultMaxConcurrentReconciles), what production runs.
	MaxConcurrentReconciles int
	// Clock is the controller's clock; nil is the real one, what production runs.
	Clock clock.Clock
}

// WholeSecondClock is the real clock read to whole seconds, as the API server stores
// status times. A diagnostic: with it, a controller that compares the status it computed
// with the one written sees no sub-second difference (see the scale benchmark's -clock).
type WholeSecondClock struct{ clock.RealClock }

// Now is the current time, truncated to the second.
func (WholeSecondClock) Now() time.Time { return time.Now().Truncate(time.Second) }

// Controller is the fluxscale controller running in this process.
type Controller struct {
	// Manager runs the controller; its client reads through the cache.
	Manager manager.Manager
	// Registry holds the controller's Prometheus metrics.
	Registry *prometheus.Registry
	stop     func()
}

// StartController runs the controller (no leader election, no metrics or probe listeners,
// logs discarded, default metrics options: no per-policy histograms) on cfg until Stop,
// and waits for its caches.
func StartController(ctx context.Context, cfg *rest.Config, opts ControllerOptions) (*Controller, error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 Scheme(),
		Logger:                 logr.Discard(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// As cmd/fluxscale's cacheOptions: cached objects without managed fields, so the
		// benchmark's memory is production's.
		Cache: cache.Options{DefaultTransform: cache.TransformStripManagedFields()},
		// A benchmark starts the controller several times in one process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the controller manager: %w", err)
	}
	reg := prometheus.NewRegistry()
	m, err := controllermetrics.New(reg)
	if err != nil {
		return nil, err
	}
	if opts.AddExtras != nil {
		if err := opts.AddExtras(mgr); err != nil {
			return nil, err
		}
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	if _, err := autoscaler.SetupWithManager(ctx, mgr, autoscaler.Options{Sources: opts.Sources, Metrics: m, Hints: opts.Hints, Clock: clk,
		MaxConcurrentReconciles: opts.MaxConcurrentReconciles}); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(runCtx) }()
	c := &Controller{Manager: mgr, Registry: reg, stop: func() {
		cancel()
		<-done
	}}
	syncCtx, cancelSync := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelSync()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		c.Stop()
		return nil, fmt.Errorf("the controller's caches did not sync within 2m")
	}
	return c, nil
}

// Stop stops the controller and waits for it.
func (c *Controller) Stop() { c.stop() }

// Counter sums a counter (or a histogram's sample count) over all its label values.
func (c *Controller) Counter(name string) (float64, error) {
	families, err := c.Registry.Gather()
	if err != nil {
		return 0, fmt.Errorf("gathering the controller's metrics: %w", err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				sum += float64(h.GetSampleCount())
			}
			if ct := m.GetCounter(); ct != nil {
				sum += ct.GetValue()
			}
		}
	}
	return sum, nil
}

// Policies counts the policies with a positive value of the counter name: how many
// distinct policies it has seen, whatever each one's own count. The controller's counters
// carry the policy's namespace and name as labels.
func (c *Controller) Policies(name string) (int, error) {
	per, err := c.PerPolicy(name)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range per {
		if v > 0 {
			n++
		}
	}
	return n, nil
}

// PolicyKey is a policy's namespace and name.
type PolicyKey [2]string

// PerPolicy sums the counter name per policy, over its other labels.
func (c *Controller) PerPolicy(name string) (map[PolicyKey]float64, error) {
	families, err := c.Registry.Gather()
	if err != nil {
		return nil, fmt.Errorf("gathering the controller's metrics: %w", err)
	}
	out := map[PolicyKey]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var key PolicyKey
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "namespace":
					key[0] = l.GetValue()
				case "policy":
					key[1] = l.GetValue()
				}
			}
			out[key] += m.GetCounter().GetValue()
		}
	}
	return out, nil
}

// HistogramSum sums a histogram's observations and their count over all its label values.
func (c *Controller) HistogramSum(name string) (sum float64, count uint64, err error) {
	families, err := c.Registry.Gather()
	if err != nil {
		return 0, 0, fmt.Errorf("gathering the controller's metrics: %w", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				sum += h.GetSampleSum()
				count += h.GetSampleCount()
			}
		}
	}
	return sum, count, nil
}
