package benchkit

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// IndexedJob is a bare Indexed Job of size pods pinned to node.
func IndexedJob(namespace, name, node string, size int32) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: batchv1.JobSpec{
			Parallelism:    ptr.To(size),
			Completions:    ptr.To(size),
			CompletionMode: ptr.To(batchv1.IndexedCompletion),
			BackoffLimit:   ptr.To[int32](100),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				NodeName:      node,
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "flux", Image: "flux:bench"}},
			}},
		},
	}
}

// PermissivePolicy scales the Job target within [minSize, maxSize] with no stabilization
// window and no effective rate limit in either direction, and shrinks without draining, so
// a measured event's latency is the trigger path alone.
func PermissivePolicy(namespace, name, target string, minSize, maxSize, pollSeconds int32) *v1alpha1.ScalingPolicy {
	free := &v1alpha1.ScalingRules{
		StabilizationWindowSeconds: ptr.To[int32](0),
		Policies:                   []v1alpha1.ScalingRatePolicy{{Type: v1alpha1.RatePercent, Value: 10000, PeriodSeconds: 1}},
	}
	return &v1alpha1.ScalingPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1alpha1.ScalingPolicySpec{
			TargetRef:           v1alpha1.TargetRef{APIVersion: "batch/v1", Kind: "Job", Name: target},
			MinSize:             minSize,
			MaxSize:             maxSize,
			PollIntervalSeconds: pollSeconds,
			Hints:               v1alpha1.HintsSpec{Enabled: ptr.To(true), Mode: v1alpha1.HintFloor, MaxTTLSeconds: 3600},
			Behavior:            &v1alpha1.ScalingBehavior{ScaleUp: free, ScaleDown: free.DeepCopy()},
			ScaleDown:           v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownImmediate},
		},
	}
}
