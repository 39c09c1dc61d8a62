package target

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
)

// Test object builders, in the Kueue style: makeJob("j", ns).Indexed().Size(3).Obj().

type jobBuilder struct{ job *batchv1.Job }

func makeJob(name, ns string) *jobBuilder {
	return &jobBuilder{job: &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
	}}
}

func (b *jobBuilder) Indexed() *jobBuilder {
	b.job.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	return b
}

func (b *jobBuilder) Size(n int32) *jobBuilder {
	b.job.Spec.Parallelism, b.job.Spec.Completions = ptr.To(n), ptr.To(n)
	return b
}

func (b *jobBuilder) OwnedByMiniCluster(name string) *jobBuilder {
	b.job.OwnerReferences = append(b.job.OwnerReferences, metav1.OwnerReference{
		APIVersion: "flux-framework.org/v1alpha2", Kind: "MiniCluster", Name: name, UID: "mc-uid",
		Controller: ptr.To(true),
	})
	return b
}

func (b *jobBuilder) Obj() *batchv1.Job { return b.job }

// makeMiniCluster is an unstructured MiniCluster with spec.size and, when maximum > 0,
// status.maximumSize.
func makeMiniCluster(name, ns string, size, maximum int64) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "flux-framework.org/v1alpha2",
		"kind":       "MiniCluster",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       map[string]any{"size": size},
	}}
	if maximum > 0 {
		u.Object["status"] = map[string]any{"maximumSize": maximum}
	}
	return u
}

func scaleOf(name, ns string, replicas int32) *autoscalingv1.Scale {
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: "7"},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}
}
