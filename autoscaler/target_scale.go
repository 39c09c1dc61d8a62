package autoscaler

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// resolveScale reads a target's /scale subresource.
func (t *Targets) resolveScale(ctx context.Context, namespace, name string, mapping *meta.RESTMapping) (*Target, error) {
	gr := mapping.Resource.GroupResource()
	sc, err := t.Scales.Scales(namespace).Get(ctx, gr, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &TargetProblem{Reason: v1alpha1.ReasonTargetNotFound, Message: fmt.Sprintf(
			"%s %s/%s not found (or it has no /scale subresource): create it or fix targetRef.name", mapping.GroupVersionKind.Kind, namespace, name)}
	}
	if err != nil {
		return nil, &TargetProblem{Reason: v1alpha1.ReasonFailedGetScale, Message: fmt.Sprintf(
			"reading the /scale of %s %s/%s: %v", mapping.GroupVersionKind.Kind, namespace, name, err)}
	}
	tgt := &Target{
		Kind: TargetScale, Namespace: namespace, Name: name,
		Current: sc.Spec.Replicas, Live: sc.Spec.Replicas,
		resource: gr, scale: sc,
	}
	if sel, err := labels.Parse(sc.Status.Selector); err == nil && sc.Status.Selector != "" {
		tgt.PodSelector = sel
	}
	return tgt, nil
}

// fillMiniCluster adds what /scale does not say about a MiniCluster: its own maximum
// (status.maximumSize) and the size its Job runs (parallelism), which lags spec.size until the
// operator applies it and never catches up when the operator refused the size.
func (t *Targets) fillMiniCluster(ctx context.Context, tgt *Target, gvk schema.GroupVersionKind) error {
	mc := &unstructured.Unstructured{}
	mc.SetGroupVersionKind(gvk)
	if err := t.Reader.Get(ctx, client.ObjectKey{Namespace: tgt.Namespace, Name: tgt.Name}, mc); err != nil {
		return fmt.Errorf("reading MiniCluster %s/%s: %w", tgt.Namespace, tgt.Name, err)
	}
	tgt.Kind = TargetMiniCluster
	tgt.JobName = tgt.Name // the operator names its Job after the MiniCluster
	tgt.PodSelector = jobPods(tgt.JobName)
	tgt.FluxMountPath, _, _ = unstructured.NestedString(mc.Object, "spec", "flux", "container", "mountPath")
	maxSize, found, err := unstructured.NestedInt64(mc.Object, "status", "maximumSize")
	if err != nil {
		return &TargetProblem{Reason: v1alpha1.ReasonFailedGetScale, Message: fmt.Sprintf(
			"MiniCluster %s status.maximumSize: %v", tgt.Name, err)}
	}
	if !found || maxSize < 1 {
		// The operator sets it on its first reconcile; until then, growing could write a size
		// it refuses, so the current size is the most we allow.
		maxSize = int64(tgt.Current)
	}
	tgt.Max = int32(maxSize)

	job := &batchv1.Job{}
	err = t.Reader.Get(ctx, client.ObjectKey{Namespace: tgt.Namespace, Name: tgt.JobName}, job)
	switch {
	case apierrors.IsNotFound(err):
		tgt.Live = -1
	case err != nil:
		return fmt.Errorf("reading Job %s/%s of MiniCluster %s: %w", tgt.Namespace, tgt.JobName, tgt.Name, err)
	case job.Spec.Parallelism == nil:
		tgt.Live = 1
	default:
		tgt.Live = *job.Spec.Parallelism
	}
	return nil
}

// scaleSubresource updates /scale with the resourceVersion read, so a concurrent change
// fails with a conflict instead of being overwritten.
func (t *Targets) scaleSubresource(ctx context.Context, tgt *Target, size int32) error {
	sc := tgt.scale.DeepCopy()
	sc.Spec.Replicas = size
	updated, err := t.Scales.Scales(tgt.Namespace).Update(ctx, tgt.resource, sc, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("updating the /scale of %s %s/%s to %d: %w", tgt.Kind, tgt.Namespace, tgt.Name, size, err)
	}
	tgt.scale = updated
	return nil
}
