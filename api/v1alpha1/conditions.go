package v1alpha1

// Condition types reported in ScalingPolicy status.
const (
	// ConditionAbleToScale: the target was found and can be read and scaled.
	ConditionAbleToScale = "AbleToScale"
	// ConditionScalingActive: signals are healthy enough to compute a size.
	ConditionScalingActive = "ScalingActive"
	// ConditionScalingLimited: the desired size was held back by a bound, window or rate limit.
	ConditionScalingLimited = "ScalingLimited"
	// ConditionDraining: ranks are draining before a shrink.
	ConditionDraining = "Draining"
	// ConditionFallbackActive: Flux state has been missing long enough that the fallback applies.
	ConditionFallbackActive = "FallbackActive"
)

// Condition reasons. Each names the step that decided, so a user can look it up in the
// README's troubleshooting table.
const (
	// AbleToScale reasons.
	ReasonSucceededRescale  = "SucceededRescale"
	ReasonReadyForNewScale  = "ReadyForNewScale"
	ReasonTargetNotFound    = "TargetNotFound"
	ReasonTargetKindUnknown = "TargetKindUnknown"
	ReasonTargetOwned       = "TargetOwnedByMiniCluster"
	ReasonTargetNotIndexed  = "TargetNotIndexed"
	ReasonFailedGetScale    = "FailedGetScale"
	ReasonFailedUpdateScale = "FailedUpdateScale"
	ReasonNotApplied        = "SizeNotApplied"
	ReasonDryRun            = "DryRun"

	// ScalingActive reasons.
	ReasonValidMetrics    = "ValidMetricFound"
	ReasonFluxUnavailable = "FluxStateUnavailable"
	ReasonFluxStale       = "FluxStateStale"
	ReasonSourceNone      = "NoFluxSource"
	ReasonInvalidPolicy   = "InvalidPolicy"
	ReasonPerRankUnknown  = "PerRankStateUnknown"
	ReasonSignalsDegraded = "SignalsDegraded"

	// ScalingLimited reasons: the step of the decision that held the size back.
	ReasonDesiredWithinRange   = "DesiredWithinRange"
	ReasonTooFewReplicas       = "TooFewReplicas"
	ReasonTooManyReplicas      = "TooManyReplicas"
	ReasonTargetMaxSize        = "TargetMaxSize"
	ReasonScaleUpStabilized    = "ScaleUpStabilized"
	ReasonScaleDownStabilized  = "ScaleDownStabilized"
	ReasonScaleUpLimit         = "ScaleUpLimit"
	ReasonScaleDownLimit       = "ScaleDownLimit"
	ReasonScaleUpDisabled      = "ScaleUpDisabled"
	ReasonScaleDownDisabled    = "ScaleDownDisabled"
	ReasonWithinTolerance      = "WithinTolerance"
	ReasonScaleDownNever       = "ScaleDownNever"
	ReasonWaitingForDrain      = "WaitingForDrain"
	ReasonStaleDataHold        = "StaleDataHold"
	ReasonHintExact            = "HintExact"
	ReasonUnsatisfiableIgnored = "UnsatisfiableJobsIgnored"

	// Draining reasons.
	ReasonDrainInProgress = "DrainInProgress"
	ReasonDrainComplete   = "DrainComplete"
	ReasonDrainCanceled   = "DrainCanceled"
	ReasonDrainTimedOut   = "DrainTimedOut"
	ReasonNotDraining     = "NotDraining"

	// FallbackActive reasons.
	ReasonFallbackHold = "FallbackHold"
	ReasonFallbackSize = "FallbackSize"
	ReasonFluxHealthy  = "FluxStateHealthy"
)

// Event reasons recorded on the ScalingPolicy.
const (
	EventSuccessfulRescale = "SuccessfulRescale"
	EventFailedRescale     = "FailedRescale"
	EventDrainStarted      = "DrainStarted"
	EventDrainCompleted    = "DrainCompleted"
	EventDrainCanceled     = "DrainCanceled"
	EventHintAccepted      = "HintAccepted"
	EventTargetProblem     = "TargetProblem"
	EventFluxUnavailable   = "FluxStateUnavailable"
)
