package autoscaler

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/scale"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// The MiniCluster of the Flux Operator. Its CRD may be missing: nothing here needs it at startup.
const (
	miniClusterGroup = "flux-framework.org"
	miniClusterKind  = "MiniCluster"
)

// TargetKind says how a target is read and scaled.
type TargetKind string

// Target kinds.
const (
	// TargetScale is any resource with a /scale subresource.
	TargetScale TargetKind = "Scale"
	// TargetMiniCluster is a MiniCluster: /scale, plus status.maximumSize and the Job it owns.
	TargetMiniCluster TargetKind = "MiniCluster"
	// TargetIndexedJob is a bare Indexed Job: parallelism and completions change together.
	TargetIndexedJob TargetKind = "IndexedJob"
)

// Target is a scale target as read at the start of a reconcile.
type Target struct {
	Kind      TargetKind
	Namespace string
	Name      string
	// Current is the size the target is set to: /scale spec.replicas (a MiniCluster's
	// spec.size, never status.size, which reads 0 until the first resize) or Job parallelism.
	Current int32
	// Live is the size actually running: a MiniCluster's Job parallelism. It equals Current
	// for other kinds, and is -1 while a MiniCluster's Job does not exist.
	Live int32
	// Max is the target's own maximum (a MiniCluster's status.maximumSize); 0 means none.
	Max int32
	// JobName is the Indexed Job whose completion-index-0 pod runs Flux's lead broker; empty
	// for other /scale targets.
	JobName string
	// PodSelector selects the target's pods (for their CPU use); nil when unknown.
	PodSelector labels.Selector
	// FluxMountPath is where a MiniCluster mounts the Flux view (spec.flux.container.mountPath).
	FluxMountPath string

	resource schema.GroupResource // for /scale reads and writes
	scale    *autoscalingv1.Scale // as read: its resourceVersion guards the update
	job      *batchv1.Job         // as read: its resourceVersion guards the patch
}

// Applied reports whether the running size matches the size set, i.e. the last write took.
func (t *Target) Applied() bool { return t.Live == t.Current }

// TargetProblem says why a target cannot be scaled. Reason is an AbleToScale condition reason
// (v1alpha1.Reason*); Message tells the user what to change.
type TargetProblem struct {
	Reason  string
	Message string
}

// Error returns the message.
func (p *TargetProblem) Error() string { return p.Message }

// Targets reads and scales targets. Reads go to the API server (not a cache), so a decision is
// never made on a stale size, and every write carries the resourceVersion it read.
type Targets struct {
	// Reader reads Jobs and MiniClusters; use the manager's API reader.
	Reader client.Reader
	// Writer patches Jobs.
	Writer client.Writer
	// Scales reads and updates /scale subresources.
	Scales scale.ScalesGetter
	// Mapper resolves kinds to resources; a kind without a mapping (CRD not installed) is a
	// TargetProblem, not a failure of the controller.
	Mapper meta.RESTMapper
}

// Resolve reads the target of a policy in namespace. A target that cannot be scaled yields a
// *TargetProblem; other errors are transient (API unavailable).
func (t *Targets) Resolve(ctx context.Context, namespace string, ref v1alpha1.TargetRef) (*Target, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return nil, &TargetProblem{Reason: v1alpha1.ReasonTargetKindUnknown, Message: fmt.Sprintf(
			"targetRef.apiVersion %q is not group/version (e.g. flux-framework.org/v1alpha2 or batch/v1): %v", ref.APIVersion, err)}
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: ref.Kind}
	if gk == batchv1.SchemeGroupVersion.WithKind("Job").GroupKind() {
		return t.resolveJob(ctx, namespace, ref.Name)
	}
	mapping, err := t.Mapper.RESTMapping(gk, gv.Version)
	if meta.IsNoMatchError(err) {
		return nil, &TargetProblem{Reason: v1alpha1.ReasonTargetKindUnknown, Message: fmt.Sprintf(
			"no API serves kind %s in %s: install its CRD (for a MiniCluster, the Flux Operator) or fix targetRef", ref.Kind, ref.APIVersion)}
	}
	if err != nil {
		return nil, fmt.Errorf("mapping kind %s: %w", gk, err)
	}
	tgt, err := t.resolveScale(ctx, namespace, ref.Name, mapping)
	if err != nil {
		return nil, err
	}
	if gk.Group == miniClusterGroup && gk.Kind == miniClusterKind {
		if err := t.fillMiniCluster(ctx, tgt, mapping.GroupVersionKind); err != nil {
			return nil, err
		}
	}
	return tgt, nil
}

// Scale writes size to the target. It refuses a size above the target's own maximum (the
// operator would ignore it and the MiniCluster would keep a size it never runs) and a size
// below 1; a write on a target changed since Resolve fails with a conflict.
func (t *Targets) Scale(ctx context.Context, tgt *Target, size int32) error {
	if size < 1 {
		return fmt.Errorf("refusing to scale %s %s to %d: the lead broker needs size 1 or more", tgt.Kind, tgt.Name, size)
	}
	if tgt.Max > 0 && size > tgt.Max {
		return fmt.Errorf("refusing to scale %s %s to %d: above its maximum size %d, which the operator would ignore", tgt.Kind, tgt.Name, size, tgt.Max)
	}
	if tgt.Kind == TargetIndexedJob {
		return t.scaleJob(ctx, tgt, size)
	}
	return t.scaleSubresource(ctx, tgt, size)
}
