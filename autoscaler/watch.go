package autoscaler

import (
	"context"
	"sync"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// targetIndex indexes ScalingPolicies by "<group>/<Kind>/<name>" of their target, so a Job or
// MiniCluster event finds the policies to reconcile without listing them all.
const targetIndex = "spec.targetRef"

func targetKey(group, kind, name string) string { return group + "/" + kind + "/" + name }

// targetIndexValues is the index function of targetIndex.
func targetIndexValues(obj client.Object) []string {
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

// policiesFor lists the policies in namespace targeting any of keys.
func (r *Reconciler) policiesFor(ctx context.Context, namespace string, keys ...string) []reconcile.Request {
	var out []reconcile.Request
	for _, key := range keys {
		var list v1alpha1.ScalingPolicyList
		if err := r.client.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{targetIndex: key}); err != nil {
			log.FromContext(ctx).Error(err, "listing ScalingPolicies by target", "target", key)
			continue
		}
		for i := range list.Items {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// policiesForJob maps a Job to the policies targeting it, and to those targeting the
// MiniCluster that owns it (its parallelism tells whether a MiniCluster's size took).
func (r *Reconciler) policiesForJob(ctx context.Context, obj client.Object) []reconcile.Request {
	keys := []string{targetKey(batchv1.GroupName, "Job", obj.GetName())}
	for _, ref := range obj.GetOwnerReferences() {
		if gv, err := schema.ParseGroupVersion(ref.APIVersion); err == nil && gv.Group == miniClusterGroup && ref.Kind == miniClusterKind {
			keys = append(keys, targetKey(miniClusterGroup, miniClusterKind, ref.Name))
		}
	}
	return r.policiesFor(ctx, obj.GetNamespace(), keys...)
}

// policiesForMiniCluster maps a MiniCluster to the policies targeting it.
func (r *Reconciler) policiesForMiniCluster(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.policiesFor(ctx, obj.GetNamespace(), targetKey(miniClusterGroup, miniClusterKind, obj.GetName()))
}

// miniClusterWatch starts a metadata-only watch of MiniClusters the first time a policy's
// MiniCluster target resolves, which proves the CRD is installed: a watch started without
// the CRD would fail the controller's start. Until then each policy's poll re-checks.
type miniClusterWatch struct {
	ctrl    controller.Controller
	cache   cache.Cache
	mapper  meta.RESTMapper
	enqueue handler.MapFunc

	mu      sync.Mutex
	started bool
}

// ensure starts the watch unless it runs already.
func (w *miniClusterWatch) ensure(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started || w.ctrl == nil {
		return // running, or no controller to add it to (unit tests)
	}
	mapping, err := w.mapper.RESTMapping(schema.GroupKind{Group: miniClusterGroup, Kind: miniClusterKind})
	if err != nil {
		log.FromContext(ctx).V(1).Info("not watching MiniClusters yet", "error", err.Error())
		return
	}
	obj := &metav1.PartialObjectMetadata{}
	obj.SetGroupVersionKind(mapping.GroupVersionKind)
	if err := w.ctrl.Watch(source.Kind[client.Object](w.cache, obj, handler.EnqueueRequestsFromMapFunc(w.enqueue))); err != nil {
		log.FromContext(ctx).Error(err, "watching MiniClusters; retrying on the next reconcile")
		return
	}
	w.started = true
}
