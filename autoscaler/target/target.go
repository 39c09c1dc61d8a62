// Package target reads and scales what a ScalingPolicy targets: a MiniCluster, any resource
// with a /scale subresource, or a bare Indexed Job. Each kind is one implementation of
// Target and scales itself, so the reconciler never asks which kind it holds to scale it.
package target

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The MiniCluster of the Flux Operator. Its CRD may be missing: nothing here needs it at startup.
const (
	MiniClusterGroup = "flux-framework.org"
	MiniClusterKind  = "MiniCluster"
)

// IsMiniCluster reports whether apiVersion and kind name a Flux Operator MiniCluster, in any
// version.
func IsMiniCluster(apiVersion, kind string) bool {
	gv, err := schema.ParseGroupVersion(apiVersion)
	return err == nil && gv.Group == MiniClusterGroup && kind == MiniClusterKind
}

// Kind says what a target is, for messages and for what the controller watches; scaling
// never depends on it.
type Kind string

// Target kinds.
const (
	// KindScale is any resource with a /scale subresource.
	KindScale Kind = "Scale"
	// KindMiniCluster is a MiniCluster: /scale, plus status.maximumSize and the Job it owns.
	KindMiniCluster Kind = "MiniCluster"
	// KindIndexedJob is a bare Indexed Job: parallelism and completions change together.
	KindIndexedJob Kind = "IndexedJob"
)

// Info is a target as read at the start of a reconcile. Scale keeps its sizes up to date.
type Info struct {
	Kind      Kind
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
}

// Applied reports whether the running size matches the size set, i.e. the last write took.
func (i *Info) Applied() bool { return i.Live == i.Current }

// Target is one scale target, read by Resolver.Resolve.
type Target interface {
	// Info is what was read; Scale updates its sizes.
	Info() *Info
	// Scale writes size. It refuses a size below 1 (rank 0 is the lead broker) and one above
	// Info().Max (the operator would ignore it and the MiniCluster would keep a size it never
	// runs). A target changed since it was read fails with a conflict: every write carries
	// the resourceVersion read.
	Scale(ctx context.Context, size int32) error
	// Scaled is the Info a successful Scale(size) leaves, for a status written ahead of the
	// write to say what the write will have done.
	Scaled(size int32) Info
}

// Problem says why a target cannot be scaled. Reason is an AbleToScale condition reason
// (v1alpha1.Reason*); Message tells the user what to change.
type Problem struct {
	Reason  string
	Message string
}

// Error returns the message.
func (p *Problem) Error() string { return p.Message }

// checkSize refuses the sizes no target may be given.
func checkSize(info *Info, size int32) error {
	if size < 1 {
		return fmt.Errorf("refusing to scale %s %s to %d: the lead broker needs size 1 or more", info.Kind, info.Name, size)
	}
	if info.Max > 0 && size > info.Max {
		return fmt.Errorf("refusing to scale %s %s to %d: above its maximum size %d, which the operator would ignore", info.Kind, info.Name, size, info.Max)
	}
	return nil
}
