package target

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
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

// resolveMiniCluster adds what /scale does not say about a MiniCluster: its own maximum
// (status.maximumSize) and the size its Job runs (parallelism), which lags spec.size until the
// operator applies it and never catches up when the operator refused the size.
func (r *Resolver) resolveMiniCluster(ctx context.Context, sc *scaleResource, gvk schema.GroupVersionKind) (Target, error) {
	info := &sc.info
	mc := &unstructured.Unstructured{}
	mc.SetGroupVersionKind(gvk)
	if err := r.Reader.Get(ctx, client.ObjectKey{Namespace: info.Namespace, Name: info.Name}, mc); err != nil {
		return nil, fmt.Errorf("reading MiniCluster %s/%s: %w", info.Namespace, info.Name, err)
	}
	info.Kind = KindMiniCluster
	info.JobName = info.Name // the operator names its Job after the MiniCluster
	info.PodSelector = JobPods(info.JobName)
	info.FluxMountPath, _, _ = unstructured.NestedString(mc.Object, "spec", "flux", "container", "mountPath")
	maxSize, found, err := unstructured.NestedInt64(mc.Object, "status", "maximumSize")
	if err != nil {
		return nil, &Problem{Reason: v1alpha1.ReasonFailedGetScale, Message: fmt.Sprintf(
			"MiniCluster %s status.maximumSize: %v", info.Name, err)}
	}
	if !found || maxSize < 1 {
		// The operator sets it on its first reconcile; until then, growing could write a size
		// it refuses, so the current size is the most we allow.
		maxSize = int64(info.Current)
	}
	info.Max = int32(maxSize)

	job := &batchv1.Job{}
	err = r.Reader.Get(ctx, client.ObjectKey{Namespace: info.Namespace, Name: info.JobName}, job)
	switch {
	case apierrors.IsNotFound(err):
		info.Live = -1
	case err != nil:
		return nil, fmt.Errorf("reading Job %s/%s of MiniCluster %s: %w", info.Namespace, info.JobName, info.Name, err)
	case job.Spec.Parallelism == nil:
		info.Live = 1
	default:
		info.Live = *job.Spec.Parallelism
	}
	return miniCluster{sc}, nil
}

// Scale writes spec.size through /scale. The Job keeps running its old size until the
// operator applies the new one, so Live is left as read.
func (m miniCluster) Scale(ctx context.Context, size int32) error {
	return m.update(ctx, size)
}
