package reliability

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// jobPolicy scales the bare Indexed Job target between 1 and maxSize, polling every second,
// with no scale-down window so a stale-data shrink would show at once.
func jobPolicy(ns, name, target string, maxSize int32) *v1alpha1.ScalingPolicy {
	return &v1alpha1.ScalingPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.ScalingPolicySpec{
			TargetRef:           v1alpha1.TargetRef{APIVersion: "batch/v1", Kind: "Job", Name: target},
			MinSize:             1,
			MaxSize:             maxSize,
			PollIntervalSeconds: 1,
			Behavior: &v1alpha1.ScalingBehavior{
				ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr.To[int32](0)},
			},
		},
	}
}

// policyStatus reads the policy's status.
func policyStatus(ctx context.Context, e *env, ns, name string) (v1alpha1.ScalingPolicyStatus, error) {
	var sp v1alpha1.ScalingPolicy
	err := e.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &sp)
	return sp.Status, err
}

// conditionIs reports whether the policy's condition typ reads want ("True/Reason"), and
// what it reads.
func conditionIs(ctx context.Context, e *env, ns, name, typ, want string) (bool, string) {
	st, err := policyStatus(ctx, e, ns, name)
	if err != nil {
		return false, err.Error()
	}
	c := meta.FindStatusCondition(st.Conditions, typ)
	if c == nil {
		return false, typ + " not set"
	}
	got := string(c.Status) + "/" + c.Reason
	return got == want, got + ": " + c.Message
}

// jobParallelism reads a Job's parallelism; -1 and why when it cannot, or when completions
// differs from it.
func jobParallelism(ctx context.Context, e *env, ns, name string) (int32, string) {
	var j batchv1.Job
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &j); err != nil {
		return -1, err.Error()
	}
	p, c := ptr.Deref(j.Spec.Parallelism, 1), ptr.Deref(j.Spec.Completions, 1)
	if p != c {
		return -1, "parallelism differs from completions"
	}
	return p, ""
}
