// Package policy decides the size of a Flux cluster. It is pure: signals and a time come in,
// a Decision comes out. No clients, contexts, clocks or logging live here, so every decision
// can be replayed (fluxscale simulate), fuzzed and table-tested.
package policy

import (
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// Input is everything one decision needs. The controller and the simulator fill it the same way.
type Input struct {
	// Now is the decision time; the only clock policy sees.
	Now time.Time
	// Spec is the ScalingPolicy spec, defaults applied by the API server (or by Defaulted).
	Spec v1alpha1.ScalingPolicySpec
	// Current is the target's current size (MiniCluster spec.size, Job parallelism).
	Current int32
	// TargetMax is the target's own maximum (MiniCluster status.maximumSize); 0 means none.
	TargetMax int32
	// Flux is the latest Flux state; nil when none has ever been read.
	Flux *FluxState
	// FluxFresh is false when the latest read failed or is older than allowed: Flux is then
	// the last good state (or nil) and must not drive a shrink.
	FluxFresh bool
	// FluxLastGood is when Flux state was last read successfully (zero: never).
	FluxLastGood time.Time
	// Pods is the pods' resource use; nil when unknown.
	Pods *PodUsage
	// Hints are the application hints on record, expired ones included (policy ignores them).
	Hints []Hint
	// History is what earlier decisions recorded (see Decision.History).
	History History
	// Draining are the ranks the controller drained and still owns (from status).
	Draining []int32
	// Removed are owned ranks (a subset of Draining) that a shrink removed and whose old
	// brokers Flux has not shown offline since: they are never undrained, even when the size
	// grows back over them, because Flux would start jobs on a broker whose pod is going.
	Removed []int32
	// DrainStarted is when the current drain began (zero: no drain).
	DrainStarted time.Time
	// Expressions are Spec's Expression policies compiled (CompileExpressions), reused
	// across decisions; nil, or compiled from another spec, makes Decide compile them itself.
	Expressions *Expressions
	// External are the External policies' scaler readings, by index in Spec.Policies; a
	// policy without one recommends nothing (and nothing shrinks).
	External map[int]ExternalReading
}

// FluxState is Flux's queue and resources as one snapshot.
type FluxState struct {
	// Counts are jobs per state.
	Counts QueueCounts
	// Pending are the jobs waiting for resources (DEPEND, PRIORITY, SCHED), in queue order.
	Pending []PendingJob
	// Ranks are the per-rank states, ordered by rank; nil when the source has no per-rank view
	// (flux-metrics-api), in which case Nodes holds the counts.
	Ranks []Rank
	// Nodes are node counts; always set.
	Nodes NodeCounts
	// CoresPerNode converts a job's core count to nodes when it gave no node count.
	CoresPerNode int32
	// AllocatedAhead are allocated ranks that no listed running job holds: the scheduler
	// has placed jobs the job list still shows pending, so QueueDepth takes them off the
	// demand rather than count those nodes twice. 0 when the source cannot tell.
	AllocatedAhead int32
}

// QueueCounts are the number of jobs in each active state.
type QueueCounts struct {
	Depend, Priority, Sched, Run, Cleanup int32
	// Held are SCHED jobs held at priority 0, left out of Sched: never demand, only shown
	// (the heldJobs variable of an Expression policy).
	Held int32
}

// NodeCounts are node counts over the ranks Flux knows (up to the target's max size).
type NodeCounts struct {
	// Up ranks are online and not drained.
	Up int32
	// Allocated ranks run at least one job.
	Allocated int32
	// Free ranks are up, not drained and idle.
	Free int32
}

// PendingJob is a job waiting for resources.
type PendingJob struct {
	ID string
	// NNodes is the node count asked for; 0 when the job gave none (use NCores).
	NNodes int32
	// NCores is the core count asked for; 0 when unknown.
	NCores int32
	// Duration is the job's time limit (flux submit -t): it runs no longer once started.
	// 0 when the job set none.
	Duration time.Duration
}

// Rank is one Flux broker rank (Job completion index, pod <name>-<rank>).
type Rank struct {
	Rank int32
	// Up is true when the broker is online.
	Up bool
	// Allocated is true when a job runs on the rank.
	Allocated bool
	// Drained is true when the rank is drained or draining (draining = Drained && Allocated).
	Drained bool
	// Expires is when every job on an allocated rank has reached its time limit, so the
	// rank is free by then; zero when the rank is idle or some job on it has no limit (or
	// is not listed).
	Expires time.Time
}

// PodUsage is CPU use of the target's pods.
type PodUsage struct {
	// CPUPercent is the mean CPU use as a percent of the pods' requests.
	CPUPercent int32
	// Pods is how many pods the mean covers.
	Pods int32
}

// Hint is an application's request for capacity.
type Hint struct {
	ID      string
	Subject string
	Size    int32
	Mode    v1alpha1.HintMode
	Expires time.Time
	Reason  string
}

// History is the bounded, serializable record of earlier decisions.
// Times are whole seconds, as they survive a round trip through status.
type History struct {
	// Recommendations are the pre-stabilization sizes, newest last.
	Recommendations []TimedSize
	// ScaleEvents are the applied size changes, newest last.
	ScaleEvents []ScaleEvent
}

// TimedSize is a size at a time.
type TimedSize struct {
	Time time.Time
	Size int32
}

// ScaleEvent is one applied size change.
type ScaleEvent struct {
	Time     time.Time
	From, To int32
}

// Recommendation is one policy's size and why.
type Recommendation struct {
	Policy string
	Size   int32
	Reason string
}

// Decision is what to do now. The caller applies it; policy never acts.
type Decision struct {
	// Desired is the size the target should have now (after every step), always within
	// [minSize, effective max]. Below Current with Scale false, the shrink is waiting (ranks
	// still draining, stale Flux state, or ScaleDown Never); the target keeps Current.
	Desired int32
	// Recommendations per policy, hints included, in spec order.
	Recommendations []Recommendation
	// Limit is the ScalingLimited reason (v1alpha1.Reason*) of the step that changed the
	// combined recommendation, or ReasonDesiredWithinRange; Message explains it in words.
	Limit   string
	Message string
	// Scale is true when the caller should write Desired to the target now. History then
	// already holds the ScaleEvent; a caller whose write fails stores Input.History's
	// ScaleEvents instead.
	Scale bool
	// Drain are ranks to drain now (the caller records them as owned and, when it owned none,
	// sets DrainStarted); Undrain ranks to give back (drained by us and needed again, or the
	// drain timed out), which the caller then stops owning.
	Drain   []int32
	Undrain []int32
	// BusyRanksRemoved counts allocated ranks an Immediate shrink removes (jobs it kills).
	BusyRanksRemoved int32
	// Fallback is true when the fallback action is in force; FallbackReason says which.
	Fallback       bool
	FallbackReason string
	// Unsatisfiable are pending jobs larger than the effective max size: reported, ignored.
	Unsatisfiable []string
	// Problems are spec errors found while deciding (an invalid cron expression or time zone);
	// the part concerned was skipped. CEL cannot check them, so the controller reports them
	// in a condition (v1alpha1.ReasonInvalidPolicy).
	Problems []string
	// DrainReason is the Draining condition reason: v1alpha1.ReasonDrainInProgress,
	// ReasonDrainComplete, ReasonDrainCanceled, ReasonDrainTimedOut or ReasonNotDraining.
	DrainReason string
	// RecheckAt is the earliest moment at which time alone changes this decision (a
	// stabilization window or rate-limit period lets go, a hint expires, the fallback delay
	// or a drain timeout passes); zero when nothing is pending. The caller decides again
	// then, even when its poll interval is longer.
	RecheckAt time.Time
	// History to store for the next decision (bounded).
	History History
}
