package source

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/target"
)

const ns = "team"

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func jobRef(name string) v1alpha1.TargetRef {
	return v1alpha1.TargetRef{APIVersion: "batch/v1", Kind: "Job", Name: name}
}

func mcRef(name string) v1alpha1.TargetRef {
	return v1alpha1.TargetRef{APIVersion: "flux-framework.org/v1alpha2", Kind: "MiniCluster", Name: name}
}

// fakeClient is controller-runtime's fake client holding objs.
func fakeClient(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
}

// indexedJob is what the resolver reads of a bare Indexed Job named work.
func indexedJob(size int32) *target.Info {
	return &target.Info{Kind: target.KindIndexedJob, Name: "work", Namespace: ns, Current: size, Live: size, JobName: "work"}
}

func makeScalingPolicy(name, ns string) *policyBuilder {
	return &policyBuilder{sp: &v1alpha1.ScalingPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Generation: 1},
		Spec:       v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 6},
	}}
}

type policyBuilder struct{ sp *v1alpha1.ScalingPolicy }

func (b *policyBuilder) Target(ref v1alpha1.TargetRef) *policyBuilder {
	b.sp.Spec.TargetRef = ref
	return b
}

func (b *policyBuilder) Obj() *v1alpha1.ScalingPolicy { return b.sp }

type jobBuilder struct{ job *batchv1.Job }

func makeJob(name, ns string) *jobBuilder {
	return &jobBuilder{job: &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
	}}
}

func (b *jobBuilder) OwnedByMiniCluster(name string) *jobBuilder {
	b.job.OwnerReferences = append(b.job.OwnerReferences, metav1.OwnerReference{
		APIVersion: "flux-framework.org/v1alpha2", Kind: "MiniCluster", Name: name, UID: "mc-uid",
		Controller: ptr.To(true),
	})
	return b
}

func (b *jobBuilder) Obj() *batchv1.Job { return b.job }

// miniCluster is an unstructured MiniCluster with spec.size and status.maximumSize.
func miniCluster(name, ns string, size, maximum int64) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "flux-framework.org/v1alpha2",
		"kind":       "MiniCluster",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       map[string]any{"size": size},
		"status":     map[string]any{"maximumSize": maximum},
	}}
}
