package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ScalingPolicyStatus is what the controller saw, decided and did, and what it must remember
// across restarts (history, hints, drained ranks).
type ScalingPolicyStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// CurrentSize is the target's size as last read (spec.size or parallelism).
	// +optional
	CurrentSize int32 `json:"currentSize,omitempty"`
	// DesiredSize is the size the controller last decided on.
	// +optional
	DesiredSize int32 `json:"desiredSize,omitempty"`
	// TargetMaxSize is the target's own maximum (a MiniCluster's status.maximumSize), 0 if none.
	// +optional
	TargetMaxSize int32 `json:"targetMaxSize,omitempty"`
	// LastScaleTime is when the controller last changed the target's size.
	// +optional
	LastScaleTime *metav1.Time `json:"lastScaleTime,omitempty"`
	// Signals reports each input's latest value and health.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Signals []SignalStatus `json:"signals,omitempty"`
	// Recommendations are each policy's latest recommendation.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Recommendations []Recommendation `json:"recommendations,omitempty"`
	// DrainingRanks is the Flux idset (e.g. "7-9") the controller drained and still owns.
	// +optional
	DrainingRanks string `json:"drainingRanks,omitempty"`
	// RemovedRanks are the drained ranks a shrink removed whose old Flux brokers have not
	// yet been seen offline. They stay drained until then: giving them back while the old
	// pod still runs would let Flux start jobs that die with that pod.
	// +optional
	RemovedRanks string `json:"removedRanks,omitempty"`
	// RemovedPods are the pods whose Flux brokers held removedRanks: a rank leaves
	// removedRanks once its pod is gone, even when no Flux read saw its broker offline (a
	// shrink and a regrow between two reads).
	// +listType=map
	// +listMapKey=rank
	// +kubebuilder:validation:MaxItems=1024
	// +optional
	RemovedPods []RemovedPod `json:"removedPods,omitempty"`
	// DrainStartTime is when the current drain began.
	// +optional
	DrainStartTime *metav1.Time `json:"drainStartTime,omitempty"`
	// DrainTimeouts counts the drains in a row that ran past scaleDown.drainTimeoutSeconds
	// and were given back. Each doubles the wait before the next drain; a drain that
	// completes, or a size that needs no shrink, resets it.
	// +kubebuilder:validation:Minimum=0
	// +optional
	DrainTimeouts int32 `json:"drainTimeouts,omitempty"`
	// DrainRetryTime is when a shrink may start draining again after a drain timed out.
	// +optional
	DrainRetryTime *metav1.Time `json:"drainRetryTime,omitempty"`
	// ActiveHints are the unexpired application hints.
	// +listType=map
	// +listMapKey=subject
	// +kubebuilder:validation:MaxItems=64
	// +optional
	ActiveHints []HintStatus `json:"activeHints,omitempty"`
	// History keeps what stabilization windows and rate limits need, bounded.
	// +optional
	History ScalingHistory `json:"history,omitempty"`
	// Conditions: AbleToScale, ScalingActive, ScalingLimited, Draining, FallbackActive.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// SignalStatus is one input's latest reading.
type SignalStatus struct {
	// Name of the signal, e.g. flux.pendingNodes.
	Name string `json:"name"`
	// Value as text (counts, sizes or percents).
	// +optional
	Value string `json:"value,omitempty"`
	// Healthy is false when the signal could not be read or is stale.
	Healthy bool `json:"healthy"`
	// LastUpdate is when the signal was last read successfully.
	// +optional
	LastUpdate *metav1.Time `json:"lastUpdate,omitempty"`
	// Message explains an unhealthy signal.
	// +optional
	Message string `json:"message,omitempty"`
}

// Recommendation is one policy's size and why.
type Recommendation struct {
	// Policy that recommended, e.g. QueueDepth or Hint.
	Policy string `json:"policy"`
	// Size recommended.
	Size int32 `json:"size"`
	// Reason in words.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// HintStatus is one accepted application hint.
type HintStatus struct {
	// ID of the hint, returned to the poster.
	ID string `json:"id"`
	// Subject is the authenticated poster (a service account's username); one hint each.
	Subject string `json:"subject"`
	// Size the hint asks for.
	Size int32 `json:"size"`
	// Mode of the hint: Floor or Exact.
	Mode HintMode `json:"mode"`
	// ExpiresAt is when the hint stops counting.
	ExpiresAt metav1.Time `json:"expiresAt"`
	// Reason given by the poster.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// ScalingHistory is the bounded record that makes HPA-style windows survive restarts.
type ScalingHistory struct {
	// Recommendations are timestamped recommended sizes for the stabilization windows.
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	// +optional
	Recommendations []TimedSize `json:"recommendations,omitempty"`
	// ScaleEvents are the size changes applied, for the rate policies.
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	// +optional
	ScaleEvents []ScaleEvent `json:"scaleEvents,omitempty"`
}

// TimedSize is a size at a time.
type TimedSize struct {
	// Time the size was recommended.
	Time metav1.Time `json:"time"`
	// Size recommended.
	Size int32 `json:"size"`
}

// ScaleEvent is one applied size change.
type ScaleEvent struct {
	// Time the new size was written.
	Time metav1.Time `json:"time"`
	// From is the size before the change.
	From int32 `json:"from"`
	// To is the size written.
	To int32 `json:"to"`
}

// RemovedPod is the pod that ran the broker of a rank a shrink removed.
type RemovedPod struct {
	// Rank is the Flux rank (the pod's completion index).
	Rank int32 `json:"rank"`
	// UID is the pod's UID.
	UID types.UID `json:"uid"`
}
