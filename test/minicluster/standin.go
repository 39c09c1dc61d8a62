package minicluster

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Event reasons the stand-in records on a MiniCluster. The real operator only logs these
// cases; the events exist so tests can see why a size was not applied.
const (
	// EventSizeRejected: the spec failed the size rules; nothing was changed.
	EventSizeRejected = "SizeRejected"
	// EventSizeClamped: spec.size was above status.maximumSize and was set to it.
	EventSizeClamped = "SizeClamped"
	// EventSizeRestored: spec.size was below 1 and was set back to the Job's size.
	EventSizeRestored = "SizeRestored"
	// EventJobResized: the Job's parallelism and completions were set to spec.size.
	EventJobResized = "JobResized"
)

// StandInOptions configures the stand-in operator.
type StandInOptions struct {
	// NodeName is written into every MiniCluster Job's pod template: test clusters run no
	// scheduler, and one kwok node with a high pod capacity holds all pods. Required.
	NodeName string
	// MaxConcurrentReconciles is how many MiniClusters are reconciled at once; 0 means 1,
	// controller-runtime's default. The scale benchmark raises it so that thousands of
	// MiniClusters resizing at once measure fluxscale, not one stand-in worker.
	MaxConcurrentReconciles int
}

// StandIn is a STAND-IN for the Flux Operator's MiniCluster controller, not the operator.
// It reproduces what the operator does with sizes, as read in its sources:
//
//   - on the first reconcile it sets status.maximumSize = max(size, maxSize) once and
//     status.selector = "hpa-selector=<name>", and creates an Indexed Job named like the
//     MiniCluster, controlled by it, with completions == parallelism == spec.size;
//   - status.size stays 0 until the first resize, then follows the accepted size;
//   - spec.size 0, spec.size above spec.maxSize, or a minSize above size or maxSize are
//     ignored: the Job keeps its size and spec.size keeps the bad value (event SizeRejected);
//   - spec.size above status.maximumSize (maxSize raised after creation, or unset) is
//     clamped: spec.size is set to the maximum, then the Job follows (event SizeClamped);
//   - any Job whose parallelism differs from spec.size is patched back, so direct Job
//     patches are reverted (it watches the Jobs it owns);
//   - it labels the MiniCluster's pods with job-index, parsed from the pod name.
//
// Unlike the operator it pins pods to StandInOptions.NodeName, creates no config maps,
// services or Flux containers, and labels only pods carrying its hpa-selector label (the
// operator labels every unlabelled pod in the namespace).
type StandIn struct {
	client   client.Client
	recorder events.EventRecorder
	opts     StandInOptions
}

// NewStandIn registers a stand-in operator with mgr, whose scheme must know MiniCluster
// (AddToScheme), Jobs and Pods. It runs when mgr starts.
func NewStandIn(mgr ctrl.Manager, opts StandInOptions) (*StandIn, error) {
	if opts.NodeName == "" {
		return nil, fmt.Errorf("stand-in operator: StandInOptions.NodeName is empty: set it to a node of the test cluster")
	}
	s := &StandIn{client: mgr.GetClient(), recorder: mgr.GetEventRecorder("minicluster-standin"), opts: opts}
	err := ctrl.NewControllerManagedBy(mgr).
		Named("minicluster-standin").
		For(&MiniCluster{}).
		Owns(&batchv1.Job{}).
		// Pods trigger the job-index labelling; they belong to the Job, not the MiniCluster,
		// so they are mapped through their hpa-selector label.
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(podToMiniCluster)).
		// Several tests in one process may each run a stand-in.
		WithOptions(controller.Options{SkipNameValidation: ptr.To(true), MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(s)
	if err != nil {
		return nil, fmt.Errorf("setting up the stand-in operator: %w", err)
	}
	return s, nil
}

func podToMiniCluster(_ context.Context, pod client.Object) []reconcile.Request {
	name := pod.GetLabels()[SelectorLabel]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: pod.GetNamespace(), Name: name}}}
}
