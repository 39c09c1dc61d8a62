package autoscaler

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/scale"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	ctrlsource "sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/external"
	"github.com/fluxscale/fluxscale/policy"
)

// ControllerName names the controller, its events' reporting controller and its logs.
const ControllerName = "fluxscale-controller"

// HintStore is what the controller needs of the hint store (autoscaler/hints.Store).
type HintStore interface {
	// List returns the policy's unexpired hints.
	List(policy types.NamespacedName) []policy.Hint
	// Seed restores hints from status for a policy the store has not heard of.
	Seed(policy types.NamespacedName, hints []policy.Hint) bool
	// Forget drops a deleted policy's hints.
	Forget(policy types.NamespacedName)
	// LastReceived is when the policy's latest hint arrived (zero: none).
	LastReceived(policy types.NamespacedName) time.Time
	// Triggers has one event per hint posted or deleted.
	Triggers() <-chan event.GenericEvent
}

// Options configure SetupWithManager.
type Options struct {
	// Sources builds each policy's signal sources; required (source.KubeSources in production).
	Sources source.Factory
	// Metrics are the Prometheus collectors; required (controllermetrics.New).
	Metrics *controllermetrics.Metrics
	// Hints is the hint store; nil serves no hints.
	Hints HintStore
	// Clock is the controller's clock; default the real one.
	Clock clock.Clock
	// NotAppliedAfter is how long a MiniCluster's Job may lag its spec.size after a scale
	// before the size counts as refused by the operator (SizeNotApplied); default 15 s.
	NotAppliedAfter time.Duration
	// MaxConcurrentReconciles is how many policies are reconciled at once; default
	// DefaultMaxConcurrentReconciles. A pass waits on its Flux read (up to
	// flux.timeoutSeconds), so one worker per policy being read is what keeps a slow or
	// hung source from delaying the others.
	MaxConcurrentReconciles int
}

// Defaults sized for 2,000 policies at a 10 s poll (200 passes a second), used by the
// controller's flags and by the scale benchmark, so both run what production runs.
const (
	// DefaultMaxConcurrentReconciles: an Exec read of Flux takes 0.3-0.9 s (one flux
	// python in the rank-0 pod), so 200 passes a second keep 60-180 workers waiting on
	// Flux; hung sources hold one worker each for flux.timeoutSeconds.
	DefaultMaxConcurrentReconciles = 200
	// DefaultKubeAPIQPS and DefaultKubeAPIBurst bound the controller's client. At rest the
	// controller reads from its informers and writes status only when it changed, so the
	// API requests left are the Exec source's pods/exec (one per read: up to 200/s) and
	// the writes of policies that scale (3-4 each); the burst covers every queue changing
	// at once. The API server's priority and fairness still protects it from the client.
	DefaultKubeAPIQPS   = 500
	DefaultKubeAPIBurst = 1000
)

// SetupWithManager builds the controller and registers it, and its Flux watchers, with mgr.
// Nothing here needs the MiniCluster CRD: MiniClusters are watched once a policy targets one
// and its kind resolves.
func SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) (*Reconciler, error) {
	if opts.Sources == nil || opts.Metrics == nil {
		return nil, fmt.Errorf("the controller needs a SourceFactory and metrics")
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = DefaultMaxConcurrentReconciles
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.ScalingPolicy{}, source.TargetIndex, source.TargetIndexValues); err != nil {
		return nil, fmt.Errorf("indexing ScalingPolicies by target: %w", err)
	}
	scales, err := newScalesGetter(mgr)
	if err != nil {
		return nil, err
	}
	// Targets are read from the informer cache, which serves unstructured MiniClusters too
	// (the manager's client would send those to the API server).
	targets := &target.Resolver{Reader: mgr.GetCache(), Writer: mgr.GetClient(), Scales: scales, Mapper: mgr.GetRESTMapper()}
	feederEvents := make(chan event.GenericEvent, 1024)
	r := newReconciler(mgr.GetClient(), mgr.GetAPIReader(), targets, mgr.GetEventRecorder(ControllerName), feederEvents, opts)
	if err := mgr.Add(r.feeders); err != nil {
		return nil, fmt.Errorf("adding the Flux watchers: %w", err)
	}
	if err := mgr.Add(r.streams); err != nil {
		return nil, fmt.Errorf("adding the external scaler streams: %w", err)
	}
	// The scalers' connections close with the manager.
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return r.externals.Close()
	})); err != nil {
		return nil, fmt.Errorf("adding the external scaler connections: %w", err)
	}
	policies := source.Policies{Client: mgr.GetClient()}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("scalingpolicy").
		// Status writes do not change the generation, so they do not come back as triggers.
		For(&v1alpha1.ScalingPolicy{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// Full Jobs, not metadata: the resolver reads a Job's parallelism from this informer.
		Watches(&batchv1.Job{}, handler.EnqueueRequestsFromMapFunc(policies.ForJob),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		WatchesRawSource(ctrlsource.Channel(feederEvents, &handler.EnqueueRequestForObject{}))
	if r.hints != nil {
		b = b.WatchesRawSource(ctrlsource.Channel(r.hints.Triggers(), r.hintHandler()))
	}
	c, err := b.Build(r)
	if err != nil {
		return nil, fmt.Errorf("building the ScalingPolicy controller: %w", err)
	}
	r.watches = &source.MiniClusterWatch{Controller: c, Cache: mgr.GetCache(), Mapper: mgr.GetRESTMapper(), Enqueue: policies.ForMiniCluster}
	return r, nil
}

// newReconciler wires a Reconciler; feeder events go to feederEvents. opts are defaulted.
func newReconciler(c client.Client, reader client.Reader, targets *target.Resolver, rec events.EventRecorder,
	feederEvents chan<- event.GenericEvent, opts Options) *Reconciler {
	own := newOwnWrites()
	r := &Reconciler{
		client:          recordingClient{Client: c, own: own},
		own:             own,
		schedule:        newSchedule(),
		reader:          reader,
		targets:         targets,
		sources:         source.NewCache(opts.Sources),
		clock:           opts.Clock,
		recorder:        rec,
		metrics:         opts.Metrics,
		memory:          source.NewMemory(),
		triggers:        source.NewTriggers(),
		watches:         &source.MiniClusterWatch{},
		notAppliedAfter: opts.NotAppliedAfter,
	}
	if r.notAppliedAfter <= 0 {
		r.notAppliedAfter = defaultNotAppliedAfter
	}
	if opts.Hints != nil {
		r.hints = opts.Hints
	}
	r.feeders = source.NewFeeders(opts.Clock, feederEvents, r.triggers)
	r.externals = external.NewPool()
	r.streams = source.NewExternalStreams(opts.Clock, feederEvents, r.triggers, r.externals.Stream)
	return r
}

// newScalesGetter builds a /scale client that resolves kinds through the manager's mapper.
func newScalesGetter(mgr ctrl.Manager) (scale.ScalesGetter, error) {
	dc, err := discovery.NewDiscoveryClientForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return nil, fmt.Errorf("building the discovery client: %w", err)
	}
	// NewForConfig overwrites the config's GroupVersion and serializer: give it a copy, not
	// the manager's own config (which other managers in a test process may share).
	sg, err := scale.NewForConfig(rest.CopyConfig(mgr.GetConfig()), mgr.GetRESTMapper(), dynamic.LegacyAPIPathResolverFunc,
		scale.NewDiscoveryScaleKindResolver(dc))
	if err != nil {
		return nil, fmt.Errorf("building the /scale client: %w", err)
	}
	return sg, nil
}

// hintHandler enqueues the policy a hint was posted for, noting when the hint arrived so the
// hint-to-scale latency can be measured.
func (r *Reconciler) hintHandler() handler.EventHandler {
	return handler.Funcs{
		GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			key := client.ObjectKeyFromObject(e.Object)
			at := r.hints.LastReceived(key)
			if at.IsZero() {
				at = r.clock.Now()
			}
			r.triggers.Mark(key, controllermetrics.TriggerHint, at)
			q.Add(reconcile.Request{NamespacedName: key})
		},
	}
}
