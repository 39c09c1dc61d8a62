package minicluster

import (
	"context"
	"encoding/json"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Reconcile brings one MiniCluster's Job and status in line with its spec, the way the
// operator does (see StandIn for the rules).
func (s *StandIn) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	mc := &MiniCluster{}
	if err := s.client.Get(ctx, req.NamespacedName, mc); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if err := checkSizes(&mc.Spec); err != nil {
		// The operator gives up without writing anything; the next spec change retries.
		s.recorder.Eventf(mc, nil, corev1.EventTypeWarning, EventSizeRejected, "Reconcile", "%v", err)
		return reconcile.Result{}, nil
	}
	want := mc.Status.DeepCopy()
	want.MaximumSize = maximumSize(mc)
	want.Selector = SelectorLabel + "=" + mc.Name

	job := &batchv1.Job{}
	err := s.client.Get(ctx, req.NamespacedName, job)
	switch {
	case apierrors.IsNotFound(err):
		if err := s.createJob(ctx, mc); err != nil {
			return reconcile.Result{}, err
		}
	case err != nil:
		return reconcile.Result{}, fmt.Errorf("getting Job %s: %w", req.NamespacedName, err)
	default:
		if err := s.resize(ctx, mc, job, want); err != nil {
			return reconcile.Result{}, err
		}
	}
	if !equality.Semantic.DeepEqual(want, &mc.Status) {
		if err := s.patchStatus(ctx, mc, want); err != nil {
			return reconcile.Result{}, err
		}
	}
	return reconcile.Result{}, s.labelPods(ctx, mc)
}

// createJob creates the MiniCluster's Job. A Job already created but not yet in the cache
// makes Create fail with AlreadyExists; the Job's own event then reconciles again.
func (s *StandIn) createJob(ctx context.Context, mc *MiniCluster) error {
	job := newJob(mc, s.opts.NodeName)
	if err := controllerutil.SetControllerReference(mc, job, s.client.Scheme()); err != nil {
		return fmt.Errorf("owning Job %s: %w", job.Name, err)
	}
	err := s.client.Create(ctx, job)
	switch {
	case apierrors.IsAlreadyExists(err):
		return nil
	case err != nil:
		return fmt.Errorf("creating Job %s: %w", job.Name, err)
	}
	log.FromContext(ctx).Info("created MiniCluster Job", "size", mc.Spec.Size)
	return nil
}

// resize applies the operator's resize outcome and records the accepted size in want.Size.
// Like the operator it writes without a resourceVersion precondition: the last writer wins.
func (s *StandIn) resize(ctx context.Context, mc *MiniCluster, job *batchv1.Job, want *Status) error {
	parallelism := ptr.Deref(job.Spec.Parallelism, 0)
	switch planResize(mc.Spec.Size, want.MaximumSize, parallelism) {
	case resizeNone:
		return nil
	case resizeRestore:
		s.recorder.Eventf(mc, nil, corev1.EventTypeWarning, EventSizeRestored, "Resize",
			"spec.size %d is below 1: set back to the Job's size %d", mc.Spec.Size, parallelism)
		want.Size = parallelism
		return s.patchSize(ctx, mc, parallelism)
	case resizeClamp:
		s.recorder.Eventf(mc, nil, corev1.EventTypeWarning, EventSizeClamped, "Resize",
			"spec.size %d is above status.maximumSize %d: set to the maximum", mc.Spec.Size, want.MaximumSize)
		want.Size = want.MaximumSize
		return s.patchSize(ctx, mc, want.MaximumSize)
	default:
		size := mc.Spec.Size
		s.recorder.Eventf(mc, job, corev1.EventTypeNormal, EventJobResized, "Resize",
			"Job %s resized from %d to %d", job.Name, parallelism, size)
		want.Size = size
		patch := fmt.Sprintf(`{"spec":{"parallelism":%d,"completions":%d}}`, size, size)
		if err := s.client.Patch(ctx, job, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
			return fmt.Errorf("resizing Job %s to %d: %w", job.Name, size, err)
		}
		return nil
	}
}

// patchSize sets spec.size with a merge patch, which leaves the spec fields this package
// does not decode untouched.
func (s *StandIn) patchSize(ctx context.Context, mc *MiniCluster, size int32) error {
	patch := fmt.Sprintf(`{"spec":{"size":%d}}`, size)
	if err := s.client.Patch(ctx, mc, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		return fmt.Errorf("setting spec.size of %s to %d: %w", mc.Name, size, err)
	}
	return nil
}

// patchStatus writes the whole status: the CRD requires size, selector, jobid and
// maximumSize, so a patch holding only the changed fields could be rejected.
func (s *StandIn) patchStatus(ctx context.Context, mc *MiniCluster, status *Status) error {
	data, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return fmt.Errorf("encoding status of %s: %w", mc.Name, err)
	}
	if err := s.client.Status().Patch(ctx, mc, client.RawPatch(types.MergePatchType, data)); err != nil {
		return fmt.Errorf("writing status of %s: %w", mc.Name, err)
	}
	return nil
}
