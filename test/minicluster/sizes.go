package minicluster

import "fmt"

// checkSizes returns why the operator would give up reconciling spec, or nil. It mirrors the
// size rules of the operator: Reconcile returns early on size 0
// (minicluster_controller.go), and MiniCluster.Validate (api/v1alpha2/minicluster_types.go)
// rejects maxSize < size and a minSize above maxSize or size. A rejected spec changes
// nothing: the Job keeps its size and spec.size keeps the bad value.
func checkSizes(spec *Spec) error {
	switch {
	case spec.Size == 0:
		return fmt.Errorf("spec.size is 0: ignored, the MiniCluster keeps its Job as it is")
	case spec.MaxSize != 0 && spec.MaxSize < spec.Size:
		return fmt.Errorf("spec.size %d is above spec.maxSize %d", spec.Size, spec.MaxSize)
	case spec.MinSize != 0 && spec.MaxSize != 0 && spec.MinSize > spec.MaxSize:
		return fmt.Errorf("spec.minSize %d is above spec.maxSize %d", spec.MinSize, spec.MaxSize)
	case spec.MinSize != 0 && spec.MinSize > spec.Size:
		return fmt.Errorf("spec.size %d is below spec.minSize %d", spec.Size, spec.MinSize)
	}
	return nil
}

// maximumSize is status.maximumSize once set, else what Validate sets it to on the first
// reconcile: max(size, maxSize). It never changes afterwards, even when maxSize does.
func maximumSize(mc *MiniCluster) int32 {
	if mc.Status.MaximumSize != 0 {
		return mc.Status.MaximumSize
	}
	return max(mc.Spec.Size, mc.Spec.MaxSize)
}

// resize is what the operator does when spec.size differs from the Job's parallelism.
type resize string

// The operator's resize outcomes (controllers/flux/scale.go resizeCluster).
const (
	// resizeNone: the Job already has spec.size pods.
	resizeNone resize = "None"
	// resizeRestore: spec.size < 1 is replaced by the Job's parallelism (restoreOriginalSize).
	resizeRestore resize = "Restore"
	// resizeClamp: spec.size above status.maximumSize is replaced by the maximum
	// (disallowScale); reachable only when maxSize was raised after creation or is unset,
	// since checkSizes rejects size > maxSize first.
	resizeClamp resize = "Clamp"
	// resizeJob: the Job's parallelism and completions are set to spec.size (allowScale).
	resizeJob resize = "Job"
)

// planResize picks the operator's resize outcome for a valid spec.
func planResize(size, maximum, parallelism int32) resize {
	switch {
	case size == parallelism:
		return resizeNone
	case size < 1:
		return resizeRestore
	case size > maximum:
		return resizeClamp
	default:
		return resizeJob
	}
}
