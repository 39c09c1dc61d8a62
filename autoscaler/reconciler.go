// Package autoscaler is the ScalingPolicy controller: it resolves a policy's target, gathers
// its signals, asks policy.Decide what to do, applies the Decision (drain, undrain, scale)
// and reports status, conditions, events and metrics. Every decision and every write
// happens in Reconcile; watches, the hint store and per-policy Flux watchers only enqueue.
package autoscaler

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/external"
)

// Timing of the reconcile loop.
const (
	// conflictRetry is how soon a reconcile whose write met a conflict runs again, reading
	// the object afresh.
	conflictRetry = 200 * time.Millisecond
	// defaultNotAppliedAfter is how long a MiniCluster's Job may lag its spec.size before
	// the size counts as not applied (the operator applies a /scale write in ~0.2 s when it
	// accepts it).
	defaultNotAppliedAfter = 15 * time.Second
)

// Reconciler reconciles ScalingPolicies. Build it with SetupWithManager.
type Reconciler struct {
	// client reads policies from the informer cache and writes them. A status the cache
	// has not caught up with is safe: every write carries the resourceVersion read, so a
	// pass on a stale policy ends in a conflict and runs again (conflictRetry).
	client client.Client
	// own are this process's policy writes the cache may not show yet; client records them.
	own *ownWrites
	// schedule keeps each policy's poll a period (period.go).
	schedule *schedule
	reader   client.Reader // uncached lists of pods, which the controller does not cache
	targets  *target.Resolver
	sources  *source.Cache
	hints    HintStore // nil: hints are not served
	clock    clock.Clock
	recorder events.EventRecorder
	metrics  *controllermetrics.Metrics
	memory   *source.Memory
	feeders  *source.Feeders
	triggers *source.Triggers
	watches  *source.MiniClusterWatch
	// notAppliedAfter is Options.NotAppliedAfter.
	notAppliedAfter time.Duration
	// expressions are the policies' formulas, compiled once per generation.
	expressions expressionCache
	// externals are the connections to External policies' scalers; streams follow their
	// StreamIsActive.
	externals *external.Pool
	streams   *source.ExternalStreams
}

// Reconcile runs one pass for the policy named in req.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	key := req.NamespacedName
	sp := &v1alpha1.ScalingPolicy{}
	if err := r.client.Get(ctx, key, sp); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(key)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("reading ScalingPolicy %s: %w", key, err)
	}
	// A policy our last pass wrote may not have reached the cache: start from what we wrote.
	sp = r.own.fresher(sp)
	if !sp.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, sp)
	}
	if err := r.ensureFinalizer(ctx, sp); apierrors.IsConflict(err) {
		return reconcile.Result{RequeueAfter: conflictRetry}, nil
	} else if err != nil {
		return reconcile.Result{}, err
	}
	start := r.clock.Now()
	defer func() { r.metrics.ReconcileDuration(key.Namespace, key.Name, r.clock.Since(start)) }()
	p := &pass{r: r, key: key, sp: sp, before: sp.Status.DeepCopy(), now: start}
	res, err := p.run(ctx)
	if apierrors.IsConflict(err) {
		log.FromContext(ctx).V(1).Info("conflict writing; reading again", "error", err.Error())
		return reconcile.Result{RequeueAfter: conflictRetry}, nil
	}
	res.RequeueAfter = r.schedule.next(key, start, r.clock.Now(), res.RequeueAfter)
	return res, err
}

// forget drops everything kept in memory for a deleted policy: its Flux client and watcher,
// last good state, hints and metric series.
func (r *Reconciler) forget(key types.NamespacedName) {
	r.feeders.Stop(key)
	r.streams.Stop(key)
	r.sources.Forget(key)
	r.memory.Forget(key)
	r.own.forget(key)
	r.schedule.forget(key)
	r.expressions.forget(key)
	r.triggers.Take(key)
	if r.hints != nil {
		r.hints.Forget(key)
	}
	r.metrics.DeletePolicy(key.Namespace, key.Name)
}

// maxNote is the longest note events.k8s.io accepts (1 kB); a longer one is cut, not lost.
const maxNote = 1024

// record emits the events of one reconcile.
func (r *Reconciler) record(sp *v1alpha1.ScalingPolicy, evs []eventRecord) {
	for _, e := range evs {
		note := e.Note
		if len(note) > maxNote {
			note = strings.ToValidUTF8(note[:maxNote-3], "") + "..."
		}
		r.recorder.Eventf(sp, nil, e.Type, e.Reason, e.Action, "%s", note)
	}
}
