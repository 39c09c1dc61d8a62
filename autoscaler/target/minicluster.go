package target

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// miniCluster is a Flux Operator MiniCluster: scaled through /scale, but its running size is
// the parallelism of the Job its operator owns, which follows spec.size only once the
// operator accepts it.
type miniCluster struct {
	*scaleResource
}

var _ Target = miniCluster{}

// resolveMiniCluster reads a MiniCluster and the Job its operator owns. Everything /scale
// would say is in the object itself (its scale subresource maps spec.size, status.size and
// status.selector), so no GET of /scale is made: the size is spec.size (never status.size,
// which reads 0 until the first resize), the maximum status.maximumSize, and the running
// size the Job's parallelism, which lags spec.size until the operator applies it and never
// catches up when the operator refused the size. The /scale update that Scale makes carries
// the object's resourceVersion (a subresource shares its parent's), so a size changed since
// this read fails with a conflict.
func (r *Resolver) resolveMiniCluster(ctx context.Context, namespace, name string, mapping *meta.RESTMapping) (Target, error) {
	mc := &unstructured.Unstructured{}
	mc.SetGroupVersionKind(mapping.GroupVersionKind)
	err := r.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, mc)
	if apierrors.IsNotFound(err) {
		return nil, &Problem{Reason: v1alpha1.ReasonTargetNotFound, Message: fmt.Sprintf(
			"MiniCluster %s/%s not found: create it or fix targetRef.name", namespace, name)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading MiniCluster %s/%s: %w", namespace, name, err)
	}
	size, found, err := unstructured.NestedInt64(mc.Object, "spec", "size")
	if err != nil {
		return nil, &Problem{Reason: v1alpha1.ReasonFailedGetScale, Message: fmt.Sprintf(
			"MiniCluster %s spec.size: %v", name, err)}
	}
	if !found {
		size = 1 // the CRD's default
	}
	info := Info{
		Kind: KindMiniCluster, Namespace: namespace, Name: name, Current: int32(size),
		JobName: name, // the operator names its Job after the MiniCluster
	}
	info.PodSelector = JobPods(info.JobName)
	if sel, _, _ := unstructured.NestedString(mc.Object, "status", "selector"); sel != "" {
		if parsed, err := labels.Parse(sel); err == nil {
			info.PodSelector = parsed
		}
	}
	info.FluxMountPath, _, _ = unstructured.NestedString(mc.Object, "spec", "flux", "container", "mountPath")
	maxSize, found, err := unstructured.NestedInt64(mc.Object, "status", "maximumSize")
	if err != nil {
		return nil, &Problem{Reason: v1alpha1.ReasonFailedGetScale, Message: fmt.Sprintf(
			"MiniCluster %s status.maximumSize: %v", name, err)}
	}
	if !found || maxSize < 1 {
		// The operator sets it on its first reconcile; until then, growing could write a size
		// it refuses, so the current size is the most we allow.
		maxSize = size
	}
	info.Max = int32(maxSize)
	if info.Live, err = r.jobParallelism(ctx, namespace, info.JobName, name); err != nil {
		return nil, err
	}
	sc := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, ResourceVersion: mc.GetResourceVersion()},
		Spec:       autoscalingv1.ScaleSpec{Replicas: info.Current},
	}
	return miniCluster{&scaleResource{info: info, scales: r.Scales, resource: mapping.Resource.GroupResource(), scale: sc}}, nil
}

// jobParallelism is the parallelism of a MiniCluster's Job, -1 while it does not exist.
func (r *Resolver) jobParallelism(ctx context.Context, namespace, job, miniCluster string) (int32, error) {
	j := &batchv1.Job{}
	err := r.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: job}, j)
	switch {
	case apierrors.IsNotFound(err):
		return -1, nil
	case err != nil:
		return 0, fmt.Errorf("reading Job %s/%s of MiniCluster %s: %w", namespace, job, miniCluster, err)
	case j.Spec.Parallelism == nil:
		return 1, nil
	}
	return *j.Spec.Parallelism, nil
}

// Scale writes spec.size through /scale. The Job keeps running its old size until the
// operator applies the new one, so Live is left as read.
func (m miniCluster) Scale(ctx context.Context, size int32) error {
	return m.update(ctx, size)
}

// Scaled is Info with spec.size at size and the Job's parallelism as read.
func (m miniCluster) Scaled(size int32) Info {
	i := m.info
	i.Current = size
	return i
}
