package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2/textlogger"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/podmetrics"
)

// controllerFlags are the controller subcommand's flags.
type controllerFlags struct {
	metricsAddr, probeAddr      string
	leaderElect                 bool
	leaderNamespace             string
	hintAddr, hintCert, hintKey string
	hintAudience                string
	// hintService ("namespace/name") and hintAdvertise (this pod's IP) make the leader the
	// only endpoint of a selectorless hint Service; empty hintService: the Service selects.
	hintService, hintAdvertise, hintPod string
	// watchNamespaces limits the manager's cache, and so every watch and cached read, to
	// these namespaces; empty watches the whole cluster.
	watchNamespaces []string
	// fluxReader is how the Exec source reads Flux state: flux.ReaderPython or flux.ReaderCLI.
	fluxReader string
	// fluxWatch is how the Exec source learns of changes: source.WatchPoll or WatchStream.
	fluxWatch string
	// maxConcurrentReconciles, kubeAPIQPS and kubeAPIBurst size the controller for its
	// policy count (defaults: autoscaler.Default*, for 2,000 policies).
	maxConcurrentReconciles int
	kubeAPIQPS              float64
	kubeAPIBurst            int
	// perPolicyHistograms labels the latency histograms by policy.
	perPolicyHistograms bool
	log                 *textlogger.Config
}

func parseControllerFlags(args []string, stderr io.Writer) (*controllerFlags, error) {
	f := &controllerFlags{log: textlogger.NewConfig(textlogger.Output(stderr))}
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", ":8080", "address the Prometheus metrics endpoint binds to; 0 disables it")
	fs.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "address the /healthz and /readyz probes bind to")
	fs.BoolVar(&f.leaderElect, "leader-elect", true, "elect a leader so only one replica scales (a Lease in the controller's namespace)")
	fs.StringVar(&f.leaderNamespace, "leader-election-namespace", "", "namespace of the leader Lease; default: the namespace the controller runs in")
	fs.StringVar(&f.hintAddr, "hint-bind-address", hints.DefaultAddr, "address the hint API binds to; 0 disables hints")
	fs.StringVar(&f.hintCert, "hint-tls-cert-file", "", "TLS certificate of the hint API; without it and -hint-tls-key-file the API serves plain HTTP")
	fs.StringVar(&f.hintKey, "hint-tls-key-file", "", "TLS private key of the hint API")
	fs.StringVar(&f.hintAudience, "hint-audience", hints.DefaultAudience, "audience a hint poster's service account token must have")
	fs.StringVar(&f.hintService, "hint-service", "", "namespace/name of a Service without a selector whose only endpoint the leader makes itself while it serves hints, so posts never reach a replica that does not listen; needs -hint-advertise-address")
	fs.StringVar(&f.hintAdvertise, "hint-advertise-address", "", "this replica's pod IP, published as the hint Service's endpoint (the chart passes status.podIP)")
	fs.StringVar(&f.hintPod, "hint-pod-name", "", "this replica's pod name, recorded as the endpoint's targetRef (optional)")
	watch := fs.String("watch-namespaces", "", "comma-separated namespaces whose ScalingPolicies and targets the controller watches; empty: all namespaces (needs cluster-wide RBAC)")
	fs.StringVar(&f.fluxReader, "flux-reader", flux.ReaderPython, "how the Exec source reads Flux state: python (one flux python program per read) or cli (three flux commands, for a Flux without flux python)")
	fs.StringVar(&f.fluxWatch, "flux-watch", source.WatchPoll, "how the Exec source learns of Flux changes: poll (read at each policy's poll interval) or stream (also follow Flux's journals through one long-lived pods/exec into the lead broker's pod; each change triggers a reconcile, which reads once; a broken stream reconnects with backoff while polling goes on)")
	fs.IntVar(&f.maxConcurrentReconciles, "max-concurrent-reconciles", autoscaler.DefaultMaxConcurrentReconciles,
		"policies reconciled at once; each waits on its Flux read (up to flux.timeoutSeconds), so a hung source holds one worker, not all")
	fs.Float64Var(&f.kubeAPIQPS, "kube-api-qps", autoscaler.DefaultKubeAPIQPS, "steady requests per second the controller's Kubernetes client may send")
	fs.IntVar(&f.kubeAPIBurst, "kube-api-burst", autoscaler.DefaultKubeAPIBurst, "requests the controller's Kubernetes client may send at once above -kube-api-qps")
	fs.BoolVar(&f.perPolicyHistograms, "per-policy-histograms", false,
		"label reconcile_duration_seconds and trigger_to_scale_seconds by policy (about 60 series more per policy); off: one histogram for all")
	config.RegisterFlags(fs) // -kubeconfig, as controller-runtime reads it
	f.log.AddFlags(fs)       // -v, -vmodule
	err := fs.Parse(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if f.maxConcurrentReconciles < 1 {
		return nil, fmt.Errorf("%w: -max-concurrent-reconciles %d: want 1 or more", errUsage, f.maxConcurrentReconciles)
	}
	if f.kubeAPIQPS <= 0 || f.kubeAPIBurst < 1 {
		return nil, fmt.Errorf("%w: -kube-api-qps %g, -kube-api-burst %d: want a QPS above 0 and a burst of 1 or more", errUsage, f.kubeAPIQPS, f.kubeAPIBurst)
	}
	if f.hintService != "" {
		if _, _, err := hints.ParseService(f.hintService); err != nil {
			return nil, fmt.Errorf("%w: -hint-service %v", errUsage, err)
		}
		if err := hints.CheckAddress(f.hintAdvertise); err != nil {
			return nil, fmt.Errorf("%w: -hint-advertise-address %v (-hint-service needs it)", errUsage, err)
		}
	}
	if err := flux.CheckReader(f.fluxReader); err != nil {
		return nil, fmt.Errorf("%w: -flux-reader %v", errUsage, err)
	}
	if err := source.CheckWatch(f.fluxWatch); err != nil {
		return nil, fmt.Errorf("%w: -flux-watch %v", errUsage, err)
	}
	if f.watchNamespaces, err = parseNamespaces(*watch); err != nil {
		return nil, fmt.Errorf("%w: -watch-namespaces: %v", errUsage, err)
	}
	return f, nil
}

// parseNamespaces splits a comma-separated namespace list. A name Kubernetes would refuse is
// an error here, at start, rather than a cache that never syncs.
func parseNamespaces(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, ns := range strings.Split(list, ",") {
		ns = strings.TrimSpace(ns)
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			return nil, fmt.Errorf("namespace %q is not valid (%s): give namespace names separated by commas, e.g. team-a,team-b",
				ns, strings.Join(msgs, "; "))
		}
		if !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	return out, nil
}

// cacheOptions limits the cache to the watched namespaces; with none it watches them all.
// Managed fields are dropped from cached objects: nothing reads them, and they are a large
// part of each Job and MiniCluster.
func cacheOptions(namespaces []string) cache.Options {
	opts := cache.Options{DefaultTransform: cache.TransformStripManagedFields()}
	if len(namespaces) == 0 {
		return opts
	}
	byNamespace := make(map[string]cache.Config, len(namespaces))
	for _, ns := range namespaces {
		byNamespace[ns] = cache.Config{}
	}
	opts.DefaultNamespaces = byNamespace
	return opts
}

// runController runs the ScalingPolicy controller until SIGTERM or SIGINT.
func runController(args []string, _, stderr io.Writer) error {
	f, err := parseControllerFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctrl.SetLogger(textlogger.NewLogger(f.log))
	cfg, err := config.GetConfig()
	if err != nil {
		return fmt.Errorf("loading the Kubernetes client config (set -kubeconfig outside a cluster): %w", err)
	}
	// GetConfig leaves QPS and Burst to whatever the kubeconfig says (controller-runtime
	// unthrottles in-cluster configs): set them, so production runs the bound the
	// benchmark measures.
	cfg.QPS, cfg.Burst = float32(f.kubeAPIQPS), f.kubeAPIBurst
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Cache:                         cacheOptions(f.watchNamespaces),
		Metrics:                       metricsserver.Options{BindAddress: f.metricsAddr},
		HealthProbeBindAddress:        f.probeAddr,
		LeaderElection:                f.leaderElect,
		LeaderElectionID:              "fluxscale-controller.fluxscale.dev",
		LeaderElectionNamespace:       f.leaderNamespace,
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if len(f.watchNamespaces) > 0 {
		ctrl.Log.Info("watching only these namespaces; ScalingPolicies elsewhere are ignored", "namespaces", f.watchNamespaces)
	} else {
		ctrl.Log.Info("watching all namespaces")
	}
	ctx := ctrl.SetupSignalHandler()
	m, err := controllermetrics.NewWithOptions(crmetrics.Registry, controllermetrics.Options{PerPolicyHistograms: f.perPolicyHistograms})
	if err != nil {
		return err
	}
	mc, err := metricsclient.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating the metrics.k8s.io client: %w", err)
	}
	opts := autoscaler.Options{
		Sources: &source.KubeSources{
			Config: cfg, Reader: mgr.GetAPIReader(), Mapper: mgr.GetRESTMapper(), FluxReader: f.fluxReader,
			FluxWatch: f.fluxWatch,
			Pods:      podmetrics.NewReader(mc.MetricsV1beta1(), mgr.GetAPIReader()),
		},
		Metrics:                 m,
		Clock:                   clock.RealClock{},
		MaxConcurrentReconciles: f.maxConcurrentReconciles,
	}
	if err := addHintServer(mgr, f, &opts); err != nil {
		return err
	}
	if _, err := autoscaler.SetupWithManager(ctx, mgr, opts); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	return mgr.Start(ctx)
}

// addHintServer adds the hint API to mgr and its store to opts, unless hints are disabled.
// Configured TLS files that do not exist (the Secret was not created) disable hints with an
// error in the log rather than stopping the controller: scaling works without hints.
func addHintServer(mgr ctrl.Manager, f *controllerFlags, opts *autoscaler.Options) error {
	logger := mgr.GetLogger().WithName("hints")
	if f.hintAddr == "0" {
		logger.Info("hint API disabled")
		return nil
	}
	for _, file := range []string{f.hintCert, f.hintKey} {
		if _, err := os.Stat(file); file != "" && err != nil {
			logger.Error(err, "hint API disabled: its TLS file is missing; create the Secret fluxscale-hints-tls (see config/manager)")
			return nil
		}
	}
	if f.hintCert == "" || f.hintKey == "" {
		logger.Info("hint API serves plain HTTP: service account tokens travel in clear; set -hint-tls-cert-file and -hint-tls-key-file")
	}
	cs, err := kubernetes.NewForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return fmt.Errorf("creating the clientset for token and access reviews: %w", err)
	}
	var endpoints *hints.Endpoints
	if f.hintService != "" {
		ns, name, _ := hints.ParseService(f.hintService) // checked by parseControllerFlags
		endpoints = &hints.Endpoints{Slices: cs.DiscoveryV1().EndpointSlices(ns), Service: name,
			Address: f.hintAdvertise, Pod: f.hintPod}
	}
	store := hints.NewStore(clock.RealClock{}, hints.StoreOptions{})
	server := hints.NewServer(store, mgr.GetClient(), hints.NewKubeReviewer(cs.AuthenticationV1(), cs.AuthorizationV1()),
		clock.RealClock{}, hints.Options{Addr: f.hintAddr, CertFile: f.hintCert, KeyFile: f.hintKey, Audience: f.hintAudience,
			Instrument: opts.Metrics.InstrumentHints, Recorder: mgr.GetEventRecorder("fluxscale-hints"), Endpoints: endpoints})
	if err := mgr.Add(server); err != nil {
		return fmt.Errorf("adding the hint API: %w", err)
	}
	opts.Hints = store
	return nil
}
