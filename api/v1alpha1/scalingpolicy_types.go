package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScalingPolicy autoscales one Flux MiniCluster (or elastic Indexed Job) on what Flux needs.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=sp,categories=fluxscale
// +kubebuilder:printcolumn:name="Target",type=string,JSONPath=`.spec.targetRef.name`
// +kubebuilder:printcolumn:name="Min",type=integer,JSONPath=`.spec.minSize`
// +kubebuilder:printcolumn:name="Max",type=integer,JSONPath=`.spec.maxSize`
// +kubebuilder:printcolumn:name="Current",type=integer,JSONPath=`.status.currentSize`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.desiredSize`
// +kubebuilder:printcolumn:name="Pending",type=string,priority=1,JSONPath=`.status.signals[?(@.name=="flux.pendingJobs")].value`,description="Pending Flux jobs (demand)"
// +kubebuilder:printcolumn:name="Free",type=string,priority=1,JSONPath=`.status.signals[?(@.name=="flux.nodesFree")].value`,description="Free Flux nodes"
// +kubebuilder:printcolumn:name="Signals",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="ScalingActive")].reason`,description="Health of the input signals (ScalingActive reason)"
// +kubebuilder:printcolumn:name="Limited",type=string,priority=1,JSONPath=`.status.conditions[?(@.type=="ScalingLimited")].reason`,description="What limited the last decision (ScalingLimited reason)"
// +kubebuilder:printcolumn:name="Draining",type=string,priority=1,JSONPath=`.status.drainingRanks`,description="Flux ranks the controller is draining"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ScalingPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ScalingPolicySpec   `json:"spec"`
	Status ScalingPolicyStatus `json:"status,omitempty"`
}

// ScalingPolicyList is a list of ScalingPolicies.
//
// +kubebuilder:object:root=true
type ScalingPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScalingPolicy `json:"items"`
}

// ScalingPolicySpec says what to scale, within which bounds, on which signals, and how fast.
//
// +kubebuilder:validation:XValidation:rule="self.maxSize >= self.minSize",message="maxSize must be greater than or equal to minSize: raise maxSize or lower minSize"
// +kubebuilder:validation:XValidation:rule="!has(self.fallback) || self.fallback.action != 'Size' || !has(self.fallback.size) || (self.fallback.size >= self.minSize && self.fallback.size <= self.maxSize)",message="fallback.size must lie within [minSize, maxSize]"
type ScalingPolicySpec struct {
	// TargetRef names the MiniCluster (flux-framework.org/v1alpha2), another resource with a
	// /scale subresource, or a bare Indexed Job (batch/v1) in the policy's namespace.
	TargetRef TargetRef `json:"targetRef"`

	// MinSize is the smallest size; at least 1 because rank 0 is the lead broker.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +optional
	MinSize int32 `json:"minSize,omitempty"`

	// MaxSize is the largest size. The target's own maximum (a MiniCluster's
	// status.maximumSize) caps it further.
	// +kubebuilder:validation:Minimum=1
	MaxSize int32 `json:"maxSize"`

	// Flux says where Flux queue and resource state is read from.
	// +kubebuilder:default={source: Exec}
	// +optional
	Flux FluxSource `json:"flux,omitempty"`

	// Policies each recommend a size; Combine merges them. Empty means one QueueDepth policy.
	// +kubebuilder:validation:MaxItems=8
	// +listType=atomic
	// +optional
	Policies []PolicySpec `json:"policies,omitempty"`

	// Combine merges the policies' recommendations: Max (the default) or Min.
	// +kubebuilder:default=Max
	// +optional
	Combine CombineMode `json:"combine,omitempty"`

	// Hints governs scale hints posted by applications.
	// +kubebuilder:default={enabled: true}
	// +optional
	Hints HintsSpec `json:"hints,omitempty"`

	// Behavior bounds how fast the size moves, with the fields and semantics of the
	// HorizontalPodAutoscaler's autoscaling/v2 behavior (and its defaults when unset).
	// +optional
	Behavior *ScalingBehavior `json:"behavior,omitempty"`

	// ScaleDown says how a shrink treats busy ranks.
	// +kubebuilder:default={mode: Drain}
	// +optional
	ScaleDown ScaleDownSpec `json:"scaleDown,omitempty"`

	// Fallback says what to do when Flux state has been missing or stale for a while.
	// +kubebuilder:default={afterSeconds: 180, action: Hold}
	// +optional
	Fallback FallbackSpec `json:"fallback,omitempty"`

	// PollIntervalSeconds is the longest time between two decisions; events trigger sooner.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	// +optional
	PollIntervalSeconds int32 `json:"pollIntervalSeconds,omitempty"`

	// DryRun computes and reports decisions without changing the target or draining ranks.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
}

// TargetRef identifies the scaled object in the policy's namespace.
type TargetRef struct {
	// APIVersion of the target, e.g. flux-framework.org/v1alpha2 or batch/v1.
	// +kubebuilder:validation:MinLength=1
	APIVersion string `json:"apiVersion"`
	// Kind of the target, e.g. MiniCluster or Job.
	// +kubebuilder:validation:MinLength=1
	Kind string `json:"kind"`
	// Name of the target.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// CombineMode merges several recommendations into one.
// +kubebuilder:validation:Enum=Max;Min
type CombineMode string

// Combine modes.
const (
	CombineMax CombineMode = "Max"
	CombineMin CombineMode = "Min"
)
