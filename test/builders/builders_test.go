package builders

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/fluxscale/fluxscale/api/v1alpha1"
)

func TestMakeScalingPolicy(t *testing.T) {
	behavior := &v1alpha1.ScalingBehavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr.To[int32](60)}}
	got := MakeScalingPolicy("p", "ns").
		Target("batch/v1", "Job", "j").
		MinSize(2).MaxSize(8).
		Source(v1alpha1.SourceNone).
		QueueDepth(0).
		Behavior(behavior).
		Hints(v1alpha1.HintsSpec{Enabled: ptr.To(true), Mode: v1alpha1.HintExact}).
		DryRun().
		Obj()
	want := &v1alpha1.ScalingPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "fluxscale.dev/v1alpha1", Kind: "ScalingPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: v1alpha1.ScalingPolicySpec{
			TargetRef: v1alpha1.TargetRef{APIVersion: "batch/v1", Kind: "Job", Name: "j"},
			MinSize:   2,
			MaxSize:   8,
			Flux:      v1alpha1.FluxSource{Source: v1alpha1.SourceNone},
			Policies:  []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyQueueDepth, QueueDepth: &v1alpha1.QueueDepthPolicy{}}},
			Behavior:  behavior,
			Hints:     v1alpha1.HintsSpec{Enabled: ptr.To(true), Mode: v1alpha1.HintExact},
			DryRun:    true,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ScalingPolicy (-want +got):\n%s", diff)
	}
}

func TestMakeScalingPolicyDefaultsToMiniCluster(t *testing.T) {
	got := MakeScalingPolicy("flux-sample", "ns").Obj().Spec
	want := v1alpha1.ScalingPolicySpec{
		TargetRef: v1alpha1.TargetRef{APIVersion: "flux-framework.org/v1alpha2", Kind: "MiniCluster", Name: "flux-sample"},
		MinSize:   1,
		MaxSize:   4,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
}

// Obj must hand out copies: changing the wrapper afterwards leaves earlier objects alone.
func TestObjReturnsCopies(t *testing.T) {
	w := MakeScalingPolicy("p", "ns").QueueDepth(0)
	first := w.Obj()
	w.MaxSize(9).QueueDepth(3)
	if first.Spec.MaxSize != 4 || len(first.Spec.Policies) != 1 {
		t.Errorf("first policy changed by later setters: %+v", first.Spec)
	}
	mw := MakeMiniCluster("mc", "ns")
	mc := mw.Obj()
	mw.Size(5)
	if diff := cmp.Diff(int64(1), mc.Object["spec"].(map[string]any)["size"]); diff != "" {
		t.Errorf("first MiniCluster changed by later setters (-want +got):\n%s", diff)
	}
}

func TestMakeIndexedJob(t *testing.T) {
	got := MakeIndexedJob("j", "ns").Parallelism(2).NodeName("kwok-node-0").PodLabel("app", "x").
		ControlledBy("flux-framework.org/v1alpha2", "MiniCluster", "mc", "uid-1").Obj()
	want := &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: "j", Namespace: "ns", OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "flux-framework.org/v1alpha2", Kind: "MiniCluster", Name: "mc", UID: "uid-1",
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		}}},
		Spec: batchv1.JobSpec{
			CompletionMode: ptr.To(batchv1.IndexedCompletion),
			Parallelism:    ptr.To[int32](2),
			Completions:    ptr.To[int32](2),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}},
				Spec: corev1.PodSpec{
					NodeName:      "kwok-node-0",
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "worker", Image: NeverPulledImage}},
				},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Job (-want +got):\n%s", diff)
	}
}

func TestMakeMiniCluster(t *testing.T) {
	got := MakeMiniCluster("flux-sample", "ns").Size(2).MaxSize(10).Interactive().Obj()
	want := map[string]any{
		"apiVersion": "flux-framework.org/v1alpha2",
		"kind":       "MiniCluster",
		"metadata":   map[string]any{"name": "flux-sample", "namespace": "ns"},
		"spec": map[string]any{
			"size":        int64(2),
			"maxSize":     int64(10),
			"interactive": true,
			"containers":  []any{map[string]any{"image": NeverPulledImage}},
		},
	}
	if diff := cmp.Diff(want, got.Object); diff != "" {
		t.Errorf("MiniCluster (-want +got):\n%s", diff)
	}
}
