package harness

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
)

// syncTimeout bounds the wait for a manager's caches.
const syncTimeout = time.Minute

// Controller is the fluxscale controller running in this process, wired as `fluxscale
// controller` wires it, except that its Flux sources are the harness's agents and its hint
// API listens on loopback in plain HTTP.
type Controller struct {
	// Registry holds the controller's Prometheus metrics (controllermetrics).
	Registry *prometheus.Registry
	// Hints is the hint store the hint API fills and the controller reads.
	Hints *hints.Store
	// HintURL is the hint API's base URL, http://127.0.0.1:<port>.
	HintURL string

	stop func()
}

// controllerSetup is how startController wires the controller.
type controllerSetup struct {
	// realOperator reads Flux as production does (source.KubeSources), with fluxWatch as
	// its -flux-watch; otherwise through the harness's agents.
	realOperator bool
	fluxWatch    string
	log          logr.Logger
}

// startController runs the controller's manager (no leader election, no metrics or probe
// listeners) with the hint API, until the returned Controller is stopped.
func startController(ctx context.Context, cfg *rest.Config, setup controllerSetup) (*Controller, error) {
	log := setup.log
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 log,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// Several harnesses may run in one test binary, each registering the same names.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the controller manager: %w", err)
	}
	c := &Controller{Registry: prometheus.NewRegistry(), Hints: hints.NewStore(clock.RealClock{}, hints.StoreOptions{})}
	// Per-policy histograms: tests and the demo read one policy's trigger-to-scale latency.
	m, err := controllermetrics.NewWithOptions(c.Registry, controllermetrics.Options{PerPolicyHistograms: true})
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return nil, fmt.Errorf("creating the clientset for token and access reviews: %w", err)
	}
	server := hints.NewServer(c.Hints, mgr.GetClient(), hints.NewKubeReviewer(cs.AuthenticationV1(), cs.AuthorizationV1()),
		clock.RealClock{}, hints.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for hints: %w", err)
	}
	c.HintURL = "http://" + ln.Addr().String()
	serve := func(ctx context.Context) error { return server.Serve(logf.IntoContext(ctx, log.WithName("hints")), ln) }
	if err := mgr.Add(manager.RunnableFunc(serve)); err != nil {
		ln.Close()
		return nil, fmt.Errorf("adding the hint API: %w", err)
	}
	var sources source.Factory = agentSources{reader: mgr.GetAPIReader()}
	if setup.realOperator {
		sources = &source.KubeSources{Config: mgr.GetConfig(), Reader: mgr.GetAPIReader(), Mapper: mgr.GetRESTMapper(),
			FluxWatch: setup.fluxWatch}
	}
	opts := autoscaler.Options{Sources: sources, Metrics: m, Hints: c.Hints, Clock: clock.RealClock{}}
	if _, err := autoscaler.SetupWithManager(ctx, mgr, opts); err != nil {
		ln.Close()
		return nil, err
	}
	if c.stop, err = runManager(ctx, mgr, "the fluxscale controller"); err != nil {
		return nil, err
	}
	return c, nil
}

// runManager starts mgr and waits for its caches. Its context is not ctx, which may be a
// request's: the manager runs until the returned stop is called, which waits for it.
func runManager(ctx context.Context, mgr manager.Manager, what string) (func(), error) {
	runCtx, cancel := context.WithCancel(logf.IntoContext(context.Background(), mgr.GetLogger()))
	done := make(chan error, 1)
	go func() { done <- mgr.Start(runCtx) }()
	// Once: Harness.Stop may stop a controller that RestartController already stopped.
	stop := sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			mgr.GetLogger().Error(err, "stopped with an error", "manager", what)
		}
	})
	syncCtx, cancelSync := context.WithTimeout(ctx, syncTimeout)
	defer cancelSync()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		stop()
		return nil, fmt.Errorf("%s: caches did not sync within %s", what, syncTimeout)
	}
	return stop, nil
}
