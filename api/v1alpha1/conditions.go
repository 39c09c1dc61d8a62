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
	// ConditionFluxWatch: whether the controller follows Flux's changes as they happen (the
	// agent's long-poll, or the Exec source's journal stream). Set only for a source that can
	// follow them; the policy is read at its poll interval either way.
	ConditionFluxWatch = "FluxWatch"
)

// FluxWatch reasons.
const (
	// ReasonFollowing: Flux's changes reach the controller as they happen.
	ReasonFollowing = "Following"
	// ReasonWatchBroken: following failed (stream cut, agent unreachable, broker restarted);
	// it reconnects with backoff.
	ReasonWatchBroken = "WatchBroken"
	// ReasonJournalUnavailable: Flux's journals cannot be followed here (not the instance
	// owner, a Flux older than 0.72); it tries again every 10 minutes.
	ReasonJournalUnavailable = "JournalUnavailable"
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
	// ReasonAmbiguousTarget: an older ScalingPolicy targets the same object; this one is
	// refused, as the HPA refuses a second autoscaler of one target.
	ReasonAmbiguousTarget = "AmbiguousTarget"
	ReasonDryRun          = "DryRun"

	// ScalingActive reasons.
	ReasonValidMetrics    = "ValidMetricFound"
	ReasonFluxUnavailable = "FluxStateUnavailable"
	ReasonFluxStale       = "FluxStateStale"
	ReasonSourceNone      = "NoFluxSource"
	ReasonInvalidPolicy   = "InvalidPolicy"
	ReasonPerRankUnknown  = "PerRankStateUnknown"
	ReasonSignalsDegraded = "SignalsDegraded"
	// ReasonExternalScalerFailed: an External policy's scaler gave no size (down, slow or
	// a bad value); that policy is left out and nothing shrinks until it answers.
	ReasonExternalScalerFailed = "ExternalScalerFailed"

	// ScalingLimited reasons: the step of the decision that held the size back.
	ReasonDesiredWithinRange  = "DesiredWithinRange"
	ReasonTooFewReplicas      = "TooFewReplicas"
	ReasonTooManyReplicas     = "TooManyReplicas"
	ReasonTargetMaxSize       = "TargetMaxSize"
	ReasonScaleUpStabilized   = "ScaleUpStabilized"
	ReasonScaleDownStabilized = "ScaleDownStabilized"
	ReasonScaleUpLimit        = "ScaleUpLimit"
	ReasonScaleDownLimit      = "ScaleDownLimit"
	ReasonScaleUpDisabled     = "ScaleUpDisabled"
	ReasonScaleDownDisabled   = "ScaleDownDisabled"
	ReasonWithinTolerance     = "WithinTolerance"
	ReasonScaleDownNever      = "ScaleDownNever"
	ReasonWaitingForDrain     = "WaitingForDrain"
	// ReasonWaitingForFreshState: a shrink waits for Flux state observed after the last
	// drain or undrain, since older state may show as idle a rank Flux just used.
	ReasonWaitingForFreshState = "WaitingForFreshState"
	ReasonStaleDataHold        = "StaleDataHold"
	ReasonHintExact            = "HintExact"
	ReasonUnsatisfiableIgnored = "UnsatisfiableJobsIgnored"

	// Draining reasons.
	ReasonDrainInProgress = "DrainInProgress"
	ReasonDrainComplete   = "DrainComplete"
	ReasonDrainCanceled   = "DrainCanceled"
	ReasonDrainTimedOut   = "DrainTimedOut"
	ReasonNotDraining     = "NotDraining"
	// ReasonDrainReleased: ranks drained before a dry run or flux.source None were given
	// back, since a passive policy owns no drain.
	ReasonDrainReleased = "DrainReleased"
	// ReasonDrainStranded: ranks the controller drained stay drained because there is no
	// Flux client to undrain them (flux.source None after a restart); the message says
	// how to undrain them by hand.
	ReasonDrainStranded = "DrainStranded"

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
	// EventHintRejected: an authorized caller's hint was refused (hints disabled, a bad
	// body or size, too many hints); the note says why and what to do, as the answer did.
	EventHintRejected = "HintRejected"
	// EventHintExpired: a hint on record reached its expiry.
	EventHintExpired = "HintExpired"
	// EventHintRemoved: a hint left the record before its expiry (deleted, or replaced by a
	// later hint of the same subject).
	EventHintRemoved     = "HintRemoved"
	EventTargetProblem   = "TargetProblem"
	EventFluxUnavailable = "FluxStateUnavailable"
	// EventRanksReleased: a deleted policy's drained ranks were given back before its
	// finalizer let it go.
	EventRanksReleased = "RanksReleased"
	// EventRanksNotReleased: a deleted policy's drained ranks could not be given back (the
	// target or Flux is gone, or Flux kept failing); the note names them and how to undrain
	// them by hand.
	EventRanksNotReleased = "RanksNotReleased"
	// EventExternalScalerFailed: an External policy's scaler stopped giving a size; said
	// once on entering that state.
	EventExternalScalerFailed = "ExternalScalerFailed"
)

// Finalizer is put on every ScalingPolicy so that deleting it first gives back the Flux
// ranks it drained.
const Finalizer = "fluxscale.dev/undrain"
