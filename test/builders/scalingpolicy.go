// Package builders makes test objects in the style of Kueue's test wrappers:
// MakeX(name, ns) returns a wrapper with a small valid object, chained setters change it,
// Obj() returns it. Builders set only what they are told; the API server fills in the CRD
// defaults, so an object that never went through it has zero values where defaults would be.
package builders

import (
	v1alpha1 "github.com/fluxscale/fluxscale/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxscale/fluxscale/test/minicluster"
)

// ScalingPolicyWrapper builds a ScalingPolicy.
type ScalingPolicyWrapper struct{ p v1alpha1.ScalingPolicy }

// MakeScalingPolicy starts a policy that targets the MiniCluster of the same name in ns,
// with minSize 1 and maxSize 4; everything else takes the CRD's defaults (hints enabled).
func MakeScalingPolicy(name, ns string) *ScalingPolicyWrapper {
	return &ScalingPolicyWrapper{p: v1alpha1.ScalingPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "ScalingPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.ScalingPolicySpec{
			TargetRef: v1alpha1.TargetRef{APIVersion: minicluster.GroupVersion.String(), Kind: minicluster.Kind, Name: name},
			MinSize:   1,
			MaxSize:   4,
		},
	}}
}

// Obj returns the built policy; the wrapper keeps its own copy.
func (w *ScalingPolicyWrapper) Obj() *v1alpha1.ScalingPolicy { return w.p.DeepCopy() }

// Target sets spec.targetRef.
func (w *ScalingPolicyWrapper) Target(apiVersion, kind, name string) *ScalingPolicyWrapper {
	w.p.Spec.TargetRef = v1alpha1.TargetRef{APIVersion: apiVersion, Kind: kind, Name: name}
	return w
}

// TargetMiniCluster targets the MiniCluster name.
func (w *ScalingPolicyWrapper) TargetMiniCluster(name string) *ScalingPolicyWrapper {
	return w.Target(minicluster.GroupVersion.String(), minicluster.Kind, name)
}

// TargetJob targets the batch/v1 Job name.
func (w *ScalingPolicyWrapper) TargetJob(name string) *ScalingPolicyWrapper {
	return w.Target("batch/v1", "Job", name)
}

// MinSize sets spec.minSize.
func (w *ScalingPolicyWrapper) MinSize(n int32) *ScalingPolicyWrapper {
	w.p.Spec.MinSize = n
	return w
}

// MaxSize sets spec.maxSize.
func (w *ScalingPolicyWrapper) MaxSize(n int32) *ScalingPolicyWrapper {
	w.p.Spec.MaxSize = n
	return w
}

// Source sets spec.flux.source, leaving the source blocks as they are.
func (w *ScalingPolicyWrapper) Source(s v1alpha1.FluxSourceType) *ScalingPolicyWrapper {
	w.p.Spec.Flux.Source = s
	return w
}

// Flux replaces spec.flux.
func (w *ScalingPolicyWrapper) Flux(f v1alpha1.FluxSource) *ScalingPolicyWrapper {
	w.p.Spec.Flux = f
	return w
}

// Agent sets the Agent source reading url.
func (w *ScalingPolicyWrapper) Agent(url string) *ScalingPolicyWrapper {
	w.p.Spec.Flux.Source = v1alpha1.SourceAgent
	w.p.Spec.Flux.Agent = &v1alpha1.AgentSource{URL: url}
	return w
}

// Policy appends one policy to spec.policies.
func (w *ScalingPolicyWrapper) Policy(p v1alpha1.PolicySpec) *ScalingPolicyWrapper {
	w.p.Spec.Policies = append(w.p.Spec.Policies, p)
	return w
}

// QueueDepth appends a QueueDepth policy with the given pendingJobsPerNode (0: use each
// job's requested nodes).
func (w *ScalingPolicyWrapper) QueueDepth(pendingJobsPerNode int32) *ScalingPolicyWrapper {
	return w.Policy(v1alpha1.PolicySpec{
		Type:       v1alpha1.PolicyQueueDepth,
		QueueDepth: &v1alpha1.QueueDepthPolicy{PendingJobsPerNode: pendingJobsPerNode},
	})
}

// Combine sets spec.combine.
func (w *ScalingPolicyWrapper) Combine(c v1alpha1.CombineMode) *ScalingPolicyWrapper {
	w.p.Spec.Combine = c
	return w
}

// Behavior sets spec.behavior.
func (w *ScalingPolicyWrapper) Behavior(b *v1alpha1.ScalingBehavior) *ScalingPolicyWrapper {
	w.p.Spec.Behavior = b
	return w
}

// Hints replaces spec.hints.
func (w *ScalingPolicyWrapper) Hints(h v1alpha1.HintsSpec) *ScalingPolicyWrapper {
	w.p.Spec.Hints = h
	return w
}

// ScaleDown sets spec.scaleDown.
func (w *ScalingPolicyWrapper) ScaleDown(s v1alpha1.ScaleDownSpec) *ScalingPolicyWrapper {
	w.p.Spec.ScaleDown = s
	return w
}

// Fallback sets spec.fallback.
func (w *ScalingPolicyWrapper) Fallback(f v1alpha1.FallbackSpec) *ScalingPolicyWrapper {
	w.p.Spec.Fallback = f
	return w
}

// PollInterval sets spec.pollIntervalSeconds.
func (w *ScalingPolicyWrapper) PollInterval(seconds int32) *ScalingPolicyWrapper {
	w.p.Spec.PollIntervalSeconds = seconds
	return w
}

// DryRun sets spec.dryRun.
func (w *ScalingPolicyWrapper) DryRun() *ScalingPolicyWrapper {
	w.p.Spec.DryRun = true
	return w
}
