package target

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/scale"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// Resolver finds the Target a policy names. Jobs and MiniClusters are read from the
// informer cache (no API request at rest); any other kind through its /scale subresource.
// Every write carries the resourceVersion read, so a read the cache had not caught up with
// can only cost a conflict and a retry, never overwrite a newer size.
type Resolver struct {
	// Reader reads Jobs and MiniClusters (as unstructured objects): the manager's cache,
	// which serves both typed and unstructured objects from informers.
	Reader client.Reader
	// Writer patches Jobs.
	Writer client.Writer
	// Scales reads and updates /scale subresources.
	Scales scale.ScalesGetter
	// Mapper resolves kinds to resources; a kind without a mapping (CRD not installed) is a
	// Problem, not a failure of the controller.
	Mapper meta.RESTMapper
}

// Resolve reads the target of a policy in namespace. A target that cannot be scaled yields a
// *Problem; other errors are transient (API unavailable).
func (r *Resolver) Resolve(ctx context.Context, namespace string, ref v1alpha1.TargetRef) (Target, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return nil, &Problem{Reason: v1alpha1.ReasonTargetKindUnknown, Message: fmt.Sprintf(
			"targetRef.apiVersion %q is not group/version (e.g. flux-framework.org/v1alpha2 or batch/v1): %v", ref.APIVersion, err)}
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: ref.Kind}
	if gk == batchv1.SchemeGroupVersion.WithKind("Job").GroupKind() {
		return r.resolveJob(ctx, namespace, ref.Name)
	}
	mapping, err := r.Mapper.RESTMapping(gk, gv.Version)
	if meta.IsNoMatchError(err) {
		return nil, &Problem{Reason: v1alpha1.ReasonTargetKindUnknown, Message: fmt.Sprintf(
			"no API serves kind %s in %s: install its CRD (for a MiniCluster, the Flux Operator) or fix targetRef", ref.Kind, ref.APIVersion)}
	}
	if err != nil {
		return nil, fmt.Errorf("mapping kind %s: %w", gk, err)
	}
	if gk.Group == MiniClusterGroup && gk.Kind == MiniClusterKind {
		return r.resolveMiniCluster(ctx, namespace, ref.Name, mapping)
	}
	return r.resolveScale(ctx, namespace, ref.Name, mapping)
}
