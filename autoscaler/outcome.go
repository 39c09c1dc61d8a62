package autoscaler

import (
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

// outcome is what one reconcile saw and did. Status, conditions and events are computed from
// it (and the status before), by pure functions that the unit tests drive directly.
type outcome struct {
	now        time.Time
	generation int64
	dryRun     bool
	source     v1alpha1.FluxSourceType
	// watch is what the policy's feeder last learned of following Flux's changes; nil when
	// no feeder runs or none has an answer yet (no FluxWatch condition then).
	watch *source.WatchHealth

	// targetProblem is why the target cannot be scaled; target is nil then.
	targetProblem *target.Problem
	target        *target.Info
	// notApplied is set when a MiniCluster's Job has not caught up with its spec.size for
	// longer than Options.NotAppliedAfter: the operator refused or has not run.
	notApplied bool

	flux fluxReading
	pods podReading
	// external are the External policies' scaler reads, in spec order.
	external []externalResult

	decision *policy.Decision
	// hints are the hints on record (the store's list), for status.activeHints.
	hints []policy.Hint

	// scaled is set when the target's size was written, from scaledFrom to scaledTo
	// (decision.Desired, or the running size restored over a spec the operator refused).
	scaled     bool
	scaledFrom int32
	scaledTo   int32
	// restored is set when the size written put back the size a MiniCluster's Job runs over
	// a spec.size its operator refused (not a decision of policy).
	restored bool
	scaleErr error
	// drained and undrained are the ranks drained and given back in this reconcile;
	// released are the ranks the shrink removed after they drained (DrainCompleted).
	drained   flux.RankSet
	undrained flux.RankSet
	released  flux.RankSet
	drainErr  error
	// releasedPassive is set when the ranks undrained were owned from before a dry run or
	// flux.source None, which own no drain; stranded when they could not be, for want of a
	// Flux client.
	releasedPassive bool
	stranded        bool
	// owned is what the controller owns after this reconcile (status.drainingRanks).
	owned flux.RankSet
	// removed are owned ranks a shrink took away whose old brokers may still be up
	// (status.removedRanks, see removedRanks).
	removed flux.RankSet
	// removedPods are the pods that ran the brokers of removed (status.removedPods).
	removedPods []v1alpha1.RemovedPod
	drainStart  time.Time
	// drainTimeouts and drainRetry are status.drainTimeouts and drainRetryTime after this
	// pass; backingOff is set when a drain was held back until drainRetry.
	drainTimeouts int32
	drainRetry    time.Time
	backingOff    bool
	// fenced is set when a shrink waited for Flux state observed after the last drain or
	// undrain.
	fenced bool
}

// fluxReading is the Flux state one reconcile could use.
type fluxReading struct {
	// state is the latest good state, this reconcile's or an earlier one's; nil when none
	// has been read since this process started.
	state *flux.State
	// fresh is true when this reconcile's read succeeded.
	fresh bool
	// lastGood is when the last read succeeded (zero: never, as far as status remembers).
	lastGood time.Time
	// err is why this reconcile's read failed.
	err error
}

// podReading is the pods' CPU use one reconcile read, when a policy needs it.
type podReading struct {
	wanted bool
	usage  *policy.PodUsage
	at     time.Time
	err    error
}
