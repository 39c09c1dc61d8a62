package v1alpha1

// PolicyType names one recommendation policy.
// +kubebuilder:validation:Enum=QueueDepth;Utilization;Schedule;Expression;External
type PolicyType string

// Policy types.
const (
	// PolicyQueueDepth sizes for busy nodes plus the node demand of pending jobs.
	PolicyQueueDepth PolicyType = "QueueDepth"
	// PolicyUtilization keeps free nodes or CPU use near a target.
	PolicyUtilization PolicyType = "Utilization"
	// PolicySchedule sets floors for known busy hours.
	PolicySchedule PolicyType = "Schedule"
	// PolicyExpression sizes by a CEL expression over the signals (see ExpressionPolicy).
	PolicyExpression PolicyType = "Expression"
	// PolicyExternal sizes by a KEDA external scaler (see ExternalPolicy).
	PolicyExternal PolicyType = "External"
)

// PolicySpec is one policy; exactly the block matching Type may be set.
//
// +kubebuilder:validation:XValidation:rule="!has(self.queueDepth) || self.type == 'QueueDepth'",message="queueDepth may be set only when type is QueueDepth"
// +kubebuilder:validation:XValidation:rule="!has(self.utilization) || self.type == 'Utilization'",message="utilization may be set only when type is Utilization"
// +kubebuilder:validation:XValidation:rule="!has(self.schedule) || self.type == 'Schedule'",message="schedule may be set only when type is Schedule"
// +kubebuilder:validation:XValidation:rule="self.type != 'Utilization' || has(self.utilization)",message="utilization is required when type is Utilization: set targetFreeNodes or targetCPUPercent"
// +kubebuilder:validation:XValidation:rule="self.type != 'Schedule' || (has(self.schedule) && size(self.schedule) > 0)",message="schedule is required when type is Schedule: add at least one window"
// +kubebuilder:validation:XValidation:rule="!has(self.expression) || self.type == 'Expression'",message="expression may be set only when type is Expression"
// +kubebuilder:validation:XValidation:rule="self.type != 'Expression' || has(self.expression)",message="expression is required when type is Expression: set expression.formula to a CEL expression returning the size"
// +kubebuilder:validation:XValidation:rule="!has(self.external) || self.type == 'External'",message="external may be set only when type is External"
// +kubebuilder:validation:XValidation:rule="self.type != 'External' || has(self.external)",message="external is required when type is External: set external.address to the scaler's host:port"
type PolicySpec struct {
	// Type is QueueDepth, Utilization, Schedule, Expression or External.
	Type PolicyType `json:"type"`
	// QueueDepth configures a QueueDepth policy.
	// +optional
	QueueDepth *QueueDepthPolicy `json:"queueDepth,omitempty"`
	// Utilization configures a Utilization policy.
	// +optional
	Utilization *UtilizationPolicy `json:"utilization,omitempty"`
	// Schedule lists the windows of a Schedule policy.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Schedule []ScheduleWindow `json:"schedule,omitempty"`
	// Expression configures an Expression policy: a CEL formula returning the size.
	// +optional
	Expression *ExpressionPolicy `json:"expression,omitempty"`
	// External configures an External policy: a KEDA external scaler.
	// +optional
	External *ExternalPolicy `json:"external,omitempty"`
}

// QueueDepthPolicy recommends busy nodes plus the nodes pending jobs ask for.
type QueueDepthPolicy struct {
	// PendingJobsPerNode, when above 0, sizes by ceil(pending jobs / N) instead of each
	// job's requested nodes (the flux-metrics-api style, for sources without job sizes).
	// +kubebuilder:validation:Minimum=0
	// +optional
	PendingJobsPerNode int32 `json:"pendingJobsPerNode,omitempty"`
}

// UtilizationPolicy keeps spare capacity near a target.
//
// +kubebuilder:validation:XValidation:rule="has(self.targetFreeNodes) || has(self.targetCPUPercent)",message="utilization needs targetFreeNodes or targetCPUPercent"
type UtilizationPolicy struct {
	// TargetFreeNodes is how many idle nodes to keep ready for new work.
	// +kubebuilder:validation:Minimum=0
	// +optional
	TargetFreeNodes *int32 `json:"targetFreeNodes,omitempty"`
	// TargetCPUPercent is the mean CPU use of the pods (of their requests) to aim for.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	TargetCPUPercent *int32 `json:"targetCPUPercent,omitempty"`
}

// ScheduleWindow sets a floor for DurationMinutes from each time Cron fires.
type ScheduleWindow struct {
	// Cron is a standard five-field cron expression, e.g. "0 8 * * 1-5".
	// +kubebuilder:validation:MinLength=9
	// +kubebuilder:validation:MaxLength=100
	Cron string `json:"cron"`
	// TimeZone is an IANA zone name for Cron; empty means UTC.
	// +optional
	TimeZone string `json:"timeZone,omitempty"`
	// DurationMinutes is how long the floor holds after each start.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10080
	DurationMinutes int32 `json:"durationMinutes"`
	// MinSize is the floor while the window is open.
	// +kubebuilder:validation:Minimum=1
	MinSize int32 `json:"minSize"`
}

// HintMode says how an application's hint acts on the size.
// +kubebuilder:validation:Enum=Floor;Exact
type HintMode string

// Hint modes.
const (
	// HintFloor makes the hint a lower bound: the size is at least the hint.
	HintFloor HintMode = "Floor"
	// HintExact makes the hint the size while it lasts.
	HintExact HintMode = "Exact"
)

// HintsSpec governs application scale hints.
type HintsSpec struct {
	// Enabled accepts hints for this policy; unset means true. A pointer, so that a policy
	// built in Go without this field gets the default instead of an explicit false.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// Mode is Floor (the default) or Exact.
	// +kubebuilder:default=Floor
	// +optional
	Mode HintMode `json:"mode,omitempty"`
	// MaxTTLSeconds is the longest a hint may last.
	// +kubebuilder:default=3600
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	// +optional
	MaxTTLSeconds int32 `json:"maxTTLSeconds,omitempty"`
}

// IsEnabled reports whether hints are accepted: Enabled unset counts as true.
func (h HintsSpec) IsEnabled() bool { return h.Enabled == nil || *h.Enabled }

// ScaleDownMode says how a shrink treats busy ranks.
// +kubebuilder:validation:Enum=Drain;Immediate;Never
type ScaleDownMode string

// Scale-down modes.
const (
	// ScaleDownDrain drains the top ranks and shrinks only once they are idle.
	ScaleDownDrain ScaleDownMode = "Drain"
	// ScaleDownImmediate shrinks at once, killing Flux jobs on the removed ranks.
	ScaleDownImmediate ScaleDownMode = "Immediate"
	// ScaleDownNever never shrinks.
	ScaleDownNever ScaleDownMode = "Never"
)

// ScaleDownSpec configures shrinking.
type ScaleDownSpec struct {
	// Mode is Drain (the default), Immediate or Never.
	// +kubebuilder:default=Drain
	// +optional
	Mode ScaleDownMode `json:"mode,omitempty"`
	// DrainTimeoutSeconds, when above 0, gives up a drain that has not finished in time and
	// undrains its ranks (the shrink is retried later); 0 waits for running jobs forever.
	// +kubebuilder:validation:Minimum=0
	// +optional
	DrainTimeoutSeconds int32 `json:"drainTimeoutSeconds,omitempty"`
}

// FallbackAction says what to do when Flux state is missing or stale.
// +kubebuilder:validation:Enum=Hold;Size
type FallbackAction string

// Fallback actions.
const (
	// FallbackHold keeps the current size (never shrinks blindly).
	FallbackHold FallbackAction = "Hold"
	// FallbackSize moves to Size (growing only; a shrink still needs fresh per-rank state).
	FallbackSize FallbackAction = "Size"
)

// FallbackSpec is what happens after Flux state has been missing for AfterSeconds.
//
// +kubebuilder:validation:XValidation:rule="self.action != 'Size' || has(self.size)",message="fallback.size is required when fallback.action is Size"
// +kubebuilder:validation:XValidation:rule="self.action == 'Size' || !has(self.size)",message="fallback.size may be set only when fallback.action is Size"
type FallbackSpec struct {
	// AfterSeconds is how long Flux state may be missing or stale before the fallback applies.
	// +kubebuilder:default=180
	// +kubebuilder:validation:Minimum=1
	// +optional
	AfterSeconds int32 `json:"afterSeconds,omitempty"`
	// Action is Hold (the default) or Size.
	// +kubebuilder:default=Hold
	// +optional
	Action FallbackAction `json:"action,omitempty"`
	// Size is the size for the Size action.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Size *int32 `json:"size,omitempty"`
}
