package reliability

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/ctrltest"
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
	return ctrltest.PolicyStatus(ctx, e.Client, ns, name)
}

// conditionIs reports whether the policy's condition typ reads want ("True/Reason"), and
// what it reads.
func conditionIs(ctx context.Context, e *env, ns, name, typ, want string) (bool, string) {
	return ctrltest.ConditionIs(ctx, e.Client, ns, name, typ, want)
}

// jobParallelism reads a Job's parallelism; -1 and why when it cannot, or when completions
// differs from it.
func jobParallelism(ctx context.Context, e *env, ns, name string) (int32, string) {
	return ctrltest.JobParallelism(ctx, e.Client, ns, name)
}
