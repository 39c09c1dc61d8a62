package autoscaler

import (
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// Test object builders, in the Kueue style: MakeJob("j", ns).Indexed().Size(3).Obj().

const ns = "team"

func jobRef(name string) v1alpha1.TargetRef {
	return v1alpha1.TargetRef{APIVersion: "batch/v1", Kind: "Job", Name: name}
}

// jobMapper knows batch Jobs, all the targets these tests scale (autoscaler/target tests the
// other kinds).
func jobMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(batchv1.SchemeGroupVersion.WithKind("Job"), meta.RESTScopeNamespace)
	return m
}

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

func (b *jobBuilder) Obj() *batchv1.Job { return b.job }

type policyBuilder struct{ sp *v1alpha1.ScalingPolicy }

// makeScalingPolicy starts a policy with the CRD's required fields and a scale-down window
// of 0 (HPA's 300 s would make every shrink test wait five minutes).
func makeScalingPolicy(name, ns string) *policyBuilder {
	return &policyBuilder{sp: &v1alpha1.ScalingPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Generation: 1},
		Spec: v1alpha1.ScalingPolicySpec{
			MinSize: 1, MaxSize: 6,
			Behavior: &v1alpha1.ScalingBehavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr.To[int32](0)}},
		},
	}}
}

func (b *policyBuilder) Target(ref v1alpha1.TargetRef) *policyBuilder {
	b.sp.Spec.TargetRef = ref
	return b
}

func (b *policyBuilder) Bounds(minSize, maxSize int32) *policyBuilder {
	b.sp.Spec.MinSize, b.sp.Spec.MaxSize = minSize, maxSize
	return b
}

func (b *policyBuilder) DryRun() *policyBuilder {
	b.sp.Spec.DryRun = true
	return b
}

func (b *policyBuilder) Obj() *v1alpha1.ScalingPolicy { return b.sp }
