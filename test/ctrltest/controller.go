package ctrltest

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
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
)

// ControllerOptions configure StartController.
type ControllerOptions struct {
	// Config is who the controller runs as.
	Config *rest.Config
	// Autoscaler are the controller's options (Sources, Hints, ...); StartController sets
	// Metrics to a fresh registry that Controller.Metric reads.
	Autoscaler autoscaler.Options
	// Manager, when set, adjusts the manager's options (cache namespaces, leader election)
	// after StartController's defaults are set.
	Manager func(*ctrl.Options)
	// Add, when set, adds more runnables to the manager (a hint server) before it starts.
	Add func(ctrl.Manager) error
}

// Controller is the fluxscale controller's manager running in this process.
type Controller struct {
	cancel   context.CancelFunc
	done     chan error
	registry *prometheus.Registry
	elected  <-chan struct{}
	logs     *Log
	started  time.Time
	stopOnce sync.Once
}

// StartController runs the controller's manager with no metrics or probe listeners. It
// stops with the test, which then logs the manager's log if it failed.
func StartController(t *testing.T, opts ControllerOptions) *Controller {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	logs := &Log{}
	mo := ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Logger:                 funcr.New(logs.Write, funcr.Options{Verbosity: 1}),
		// Restarted and side-by-side controllers register the same name in this process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	}
	if opts.Manager != nil {
		opts.Manager(&mo)
	}
	mgr, err := ctrl.NewManager(opts.Config, mo)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	// Per-policy histograms: tests read one policy's trigger-to-scale latency.
	if opts.Autoscaler.Metrics, err = controllermetrics.NewWithOptions(reg, controllermetrics.Options{PerPolicyHistograms: true}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := autoscaler.SetupWithManager(ctx, mgr, opts.Autoscaler); err != nil {
		cancel()
		t.Fatal(err)
	}
	if opts.Add != nil {
		if err := opts.Add(mgr); err != nil {
			cancel()
			t.Fatal(err)
		}
	}
	c := &Controller{cancel: cancel, done: make(chan error, 1), registry: reg, elected: mgr.Elected(), logs: logs, started: time.Now()}
	go func() { c.done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		c.Stop(t)
		if t.Failed() {
			t.Logf("--- controller log:\n%s", logs.String())
		}
	})
	return c
}

// Stop stops the manager and waits for it, as a controller restart or crash would; it
// fails the test if the manager ended with an error. Later calls do nothing.
func (c *Controller) Stop(t *testing.T) {
	c.stopOnce.Do(func() {
		c.cancel()
		if err := <-c.done; err != nil {
			t.Errorf("controller stopped with: %v", err)
		}
	})
}

// Done receives what the manager ended with if it stops on its own.
func (c *Controller) Done() <-chan error { return c.done }

// IsLeader reports whether the manager won its election (always, without election).
func (c *Controller) IsLeader() bool {
	select {
	case <-c.elected:
		return true
	default:
		return false
	}
}

// Started is when the manager was started.
func (c *Controller) Started() time.Time { return c.started }

// Logs returns the manager's log so far.
func (c *Controller) Logs() string { return c.logs.String() }
