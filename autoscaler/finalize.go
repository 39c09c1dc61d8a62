package autoscaler

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

// Timing of a deleted policy's release of its drained ranks.
const (
	// releaseGiveUp is how long after its deletion a policy keeps trying to undrain its
	// ranks while Flux fails. Past it, the finalizer lets go and an event names the ranks:
	// a policy whose Flux is gone for good must still be deletable.
	releaseGiveUp = 2 * time.Minute
	// releaseRetry is how soon a failed release is tried again.
	releaseRetry = 5 * time.Second
)

// ensureFinalizer puts v1alpha1.Finalizer on a live policy, so that deleting it gives back the
// ranks it drains. The patch carries the resourceVersion read: a policy changed since is read
// again.
func (r *Reconciler) ensureFinalizer(ctx context.Context, sp *v1alpha1.ScalingPolicy) error {
	if controllerutil.ContainsFinalizer(sp, v1alpha1.Finalizer) {
		return nil
	}
	base := sp.DeepCopy()
	controllerutil.AddFinalizer(sp, v1alpha1.Finalizer)
	if err := r.client.Patch(ctx, sp, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("adding finalizer %s: %w", v1alpha1.Finalizer, err)
	}
	return nil
}

// finalize gives back the ranks a deleted policy drained, then removes its finalizer. When
// the target or its Flux source is gone nothing can be undrained: an event says which ranks
// stay drained and the policy is let go. A Flux failure is retried until releaseGiveUp.
func (r *Reconciler) finalize(ctx context.Context, sp *v1alpha1.ScalingPolicy) (reconcile.Result, error) {
	key := client.ObjectKeyFromObject(sp)
	if !controllerutil.ContainsFinalizer(sp, v1alpha1.Finalizer) {
		r.forget(key)
		return reconcile.Result{}, nil
	}
	owned, err := ownedRanks(&sp.Status)
	if err != nil {
		log.FromContext(ctx).Error(err, "status.drainingRanks is not an idset the controller wrote; releasing nothing")
	}
	if len(owned) > 0 {
		released, err := r.release(ctx, sp, owned)
		var gone *releaseGone
		switch {
		case err == nil:
			r.record(sp, []eventRecord{{corev1.EventTypeNormal, v1alpha1.EventRanksReleased, actionUndrain,
				fmt.Sprintf("Gave ranks %s back to the scheduler before the policy was deleted", released)}})
		case errors.As(err, &gone) || r.clock.Since(sp.DeletionTimestamp.Time) >= releaseGiveUp:
			r.record(sp, []eventRecord{{corev1.EventTypeWarning, v1alpha1.EventRanksNotReleased, actionUndrain,
				fmt.Sprintf("Deleted without giving back ranks %s, which may stay drained in Flux: %v. "+
					"Undrain them in the lead broker with: flux resource undrain -u %s", owned, err, owned)}})
		default:
			log.FromContext(ctx).Info("giving back drained ranks before deletion failed; retrying",
				"ranks", owned.String(), "error", err.Error())
			return reconcile.Result{RequeueAfter: releaseRetry}, nil
		}
	}
	base := sp.DeepCopy()
	controllerutil.RemoveFinalizer(sp, v1alpha1.Finalizer)
	if err := r.client.Patch(ctx, sp, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return reconcile.Result{}, fmt.Errorf("removing finalizer %s: %w", v1alpha1.Finalizer, err)
	}
	r.forget(key)
	return reconcile.Result{}, nil
}

// releaseGone is a release that cannot succeed by retrying: no target, or no Flux client.
type releaseGone struct{ err error }

func (e *releaseGone) Error() string { return e.err.Error() }
func (e *releaseGone) Unwrap() error { return e.err }

// release undrains the owned ranks of a deleted policy through its Flux source and returns
// the ranks given back.
func (r *Reconciler) release(ctx context.Context, sp *v1alpha1.ScalingPolicy, owned flux.RankSet) (flux.RankSet, error) {
	spec := policy.Defaulted(sp.Spec)
	tgt, err := r.targets.Resolve(ctx, sp.Namespace, spec.TargetRef)
	var problem *target.Problem
	if errors.As(err, &problem) {
		return nil, &releaseGone{fmt.Errorf("the target cannot be read: %w", problem)}
	}
	if err != nil {
		return nil, err
	}
	src, err := r.sources.Get(ctx, sp, tgt.Info())
	if err != nil {
		return nil, fmt.Errorf("building the Flux source: %w", err)
	}
	fc := src.Flux
	if fc == nil {
		fc = r.sources.Previous(client.ObjectKeyFromObject(sp))
	}
	if fc == nil {
		return nil, &releaseGone{fmt.Errorf("flux.source %s has no Flux client to undrain with", spec.Flux.Source)}
	}
	return undrainOwned(ctx, fc, owned, nil, time.Duration(spec.Flux.TimeoutSeconds)*time.Second)
}

// undrainOwned gives back ranks we drained. Ranks that state (when it has per-rank data)
// shows undrained are not asked for, since Flux refuses to undrain those; with no state it
// reads one first. It returns the ranks now undrained: all of ranks.
func undrainOwned(ctx context.Context, fc flux.Client, ranks flux.RankSet, st *flux.State, timeout time.Duration) (flux.RankSet, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if st == nil {
		read, err := fc.State(cctx)
		if err != nil {
			return nil, fmt.Errorf("reading Flux state before undraining ranks %s: %w", ranks, err)
		}
		st = &read
	}
	call := ranks
	if st.PerRank {
		call = nil
		for _, r := range ranks {
			if drainedIn(st, r) {
				call = append(call, r)
			}
		}
	}
	if len(call) > 0 {
		if err := fc.Undrain(cctx, call); err != nil {
			return nil, fmt.Errorf("undraining ranks %s: %w", call, err)
		}
	}
	return ranks, nil
}
