package source

import (
	"context"
	"sync"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	ctrlsource "sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/target"
)

// TargetIndex indexes ScalingPolicies by "<group>/<Kind>/<name>" of their target, so a Job or
// MiniCluster event finds the policies to reconcile without listing them all.
const TargetIndex = "spec.targetRef"

func targetKey(group, kind, name string) string { return group + "/" + kind + "/" + name }

// TargetIndexValues is the index function of TargetIndex.
func TargetIndexValues(obj client.Object) []string {
	sp, ok := obj.(*v1alpha1.ScalingPolicy)
	if !ok {
		return nil
	}
	gv, err := schema.ParseGroupVersion(sp.Spec.TargetRef.APIVersion)
	if err != nil {
		return nil
	}
	return []string{targetKey(gv.Group, sp.Spec.TargetRef.Kind, sp.Spec.TargetRef.Name)}
}

// Policies maps target events to the policies to reconcile, through TargetIndex.
type Policies struct {
	// Client lists policies by TargetIndex (the manager's cached client).
	Client client.Reader
}

// For lists the policies in namespace targeting any of keys.
func (p Policies) For(ctx context.Context, namespace string, keys ...string) []reconcile.Request {
	var out []reconcile.Request
	for _, key := range keys {
		var list v1alpha1.ScalingPolicyList
		if err := p.Client.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{TargetIndex: key}); err != nil {
			log.FromContext(ctx).Error(err, "listing ScalingPolicies by target", "target", key)
			continue
		}
		for i := range list.Items {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// ForJob maps a Job to the policies targeting it, and to those targeting the MiniCluster that
// owns it (its parallelism tells whether a MiniCluster's size took).
func (p Policies) ForJob(ctx context.Context, obj client.Object) []reconcile.Request {
	keys := []string{targetKey(batchv1.GroupName, "Job", obj.GetName())}
	for _, ref := range obj.GetOwnerReferences() {
		if target.IsMiniCluster(ref.APIVersion, ref.Kind) {
			keys = append(keys, targetKey(target.MiniClusterGroup, target.MiniClusterKind, ref.Name))
		}
	}
	return p.For(ctx, obj.GetNamespace(), keys...)
}

// ForMiniCluster maps a MiniCluster to the policies targeting it.
func (p Policies) ForMiniCluster(ctx context.Context, obj client.Object) []reconcile.Request {
	return p.For(ctx, obj.GetNamespace(), targetKey(target.MiniClusterGroup, target.MiniClusterKind, obj.GetName()))
}

// MiniClusterWatch starts a watch of MiniClusters the first time a policy's
// MiniCluster target resolves, which proves the CRD is installed: a watch started without
// the CRD would fail the controller's start. Until then each policy's poll re-checks.
type MiniClusterWatch struct {
	// Controller is what the watch is added to; nil (unit tests) watches nothing.
	Controller controller.Controller
	Cache      cache.Cache
	Mapper     meta.RESTMapper
	Enqueue    handler.MapFunc

	mu      sync.Mutex
	started bool
}

// Ensure starts the watch unless it runs already.
func (w *MiniClusterWatch) Ensure(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started || w.Controller == nil {
		return // running, or no controller to add it to (unit tests)
	}
	mapping, err := w.Mapper.RESTMapping(schema.GroupKind{Group: target.MiniClusterGroup, Kind: target.MiniClusterKind})
	if err != nil {
		log.FromContext(ctx).V(1).Info("not watching MiniClusters yet", "error", err.Error())
		return
	}
	// Full objects, not metadata: the resolver reads MiniClusters from this same informer,
	// so an event is never ahead of the object the reconcile it triggers reads.
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(mapping.GroupVersionKind)
	if err := w.Controller.Watch(ctrlsource.Kind[client.Object](w.Cache, obj, handler.EnqueueRequestsFromMapFunc(w.Enqueue))); err != nil {
		log.FromContext(ctx).Error(err, "watching MiniClusters; retrying on the next reconcile")
		return
	}
	w.started = true
}
