package autoscaler

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// Signal names in status.signals.
const (
	signalPendingJobs = "flux.pendingJobs"
	// signalHeldJobs counts held jobs (priority 0, e.g. --urgency=hold): they sit in SCHED but
	// are not demand, so they are shown apart from flux.pendingJobs.
	signalHeldJobs      = "flux.heldJobs"
	signalRunningJobs   = "flux.runningJobs"
	signalNodesUp       = "flux.nodesUp"
	signalNodesFree     = "flux.nodesFree"
	signalNodesAlloc    = "flux.nodesAllocated"
	signalPodCPUPercent = "pods.cpuPercent"
)

// fluxSignals are the signals read from Flux; their lastUpdate is the last good read, which
// a restarted controller takes as FluxLastGood.
func fluxSignals() []string {
	return []string{signalPendingJobs, signalHeldJobs, signalRunningJobs, signalNodesUp, signalNodesFree, signalNodesAlloc}
}

// newStatus is old with what o saw and did. Conditions carry o.generation and transition at
// o.now (not the wall clock, so tests with a fake clock see exact times).
func newStatus(old *v1alpha1.ScalingPolicyStatus, o *outcome) v1alpha1.ScalingPolicyStatus {
	st := *old.DeepCopy()
	st.ObservedGeneration = o.generation
	for _, c := range conditions(o) {
		c = keepDrainOutcome(old, c, o)
		c.ObservedGeneration = o.generation
		c.LastTransitionTime = wholeSeconds(o.now) // what the API server keeps, so a kept status equals the written one
		meta.SetStatusCondition(&st.Conditions, c)
	}
	if o.watch == nil {
		// No feeder follows Flux for this policy (any more): a FluxWatch left from before
		// would describe a watch that is not there.
		meta.RemoveStatusCondition(&st.Conditions, v1alpha1.ConditionFluxWatch)
	}
	if o.target == nil {
		return st
	}
	st.CurrentSize = o.target.Current
	st.TargetMaxSize = o.target.Max
	st.Signals = signalStatuses(o)
	if o.scaled {
		t := wholeSeconds(o.now)
		st.LastScaleTime = &t
	}
	if d := o.decision; d != nil {
		st.DesiredSize = d.Desired
		st.Recommendations = nil
		for _, r := range d.Recommendations {
			st.Recommendations = append(st.Recommendations, v1alpha1.Recommendation{Policy: r.Policy, Size: r.Size, Reason: r.Reason})
		}
		st.History = historyToStatus(d.History)
	}
	if !o.dryRun || o.releasedPassive { // a dry run only gives back ranks owned from before it
		st.DrainingRanks = o.owned.String()
		st.RemovedRanks = removedOwned(o).String()
		st.RemovedPods = nil
		for _, rp := range o.removedPods {
			if o.owned.Contains(rp.Rank) {
				st.RemovedPods = append(st.RemovedPods, rp)
			}
		}
		st.DrainStartTime = nil
		if len(o.liveOwned()) > 0 && !o.drainStart.IsZero() {
			t := wholeSeconds(o.drainStart)
			st.DrainStartTime = &t
		}
		st.DrainTimeouts, st.DrainRetryTime = o.drainTimeouts, nil
		if !o.drainRetry.IsZero() {
			t := wholeSeconds(o.drainRetry)
			st.DrainRetryTime = &t
		}
	}
	st.ActiveHints = hintsToStatus(o.hints, o.now)
	return st
}

// errSeeScalingActive is the message of a Flux signal whose read failed.
var errSeeScalingActive = errors.New("the Flux read failed: the ScalingActive condition says why")

// signalStatuses reports each signal with its health and last good read.
func signalStatuses(o *outcome) []v1alpha1.SignalStatus {
	var out []v1alpha1.SignalStatus
	if o.source != v1alpha1.SourceNone {
		f := o.flux
		values := map[string]string{}
		if f.state != nil {
			s := f.state
			values[signalPendingJobs] = itoa(s.Counts.Pending())
			values[signalHeldJobs] = itoa(s.Counts.Held)
			values[signalRunningJobs] = itoa(s.Counts.Run + s.Counts.Cleanup)
			values[signalNodesUp] = itoa(s.Nodes.Up)
			values[signalNodesFree] = itoa(s.Nodes.Free)
			values[signalNodesAlloc] = itoa(s.Nodes.Allocated)
		}
		// The Flux signals come from one read: its error is said once, in the ScalingActive
		// condition, not again in each of them.
		var readErr error
		if f.err != nil {
			readErr = errSeeScalingActive
		}
		for _, name := range fluxSignals() {
			out = append(out, signal(name, values[name], f.fresh, f.lastGood, readErr))
		}
	}
	if p := o.pods; p.wanted {
		value := ""
		if p.usage != nil {
			value = fmt.Sprintf("%d%% over %d pods", p.usage.CPUPercent, p.usage.Pods)
		}
		out = append(out, signal(signalPodCPUPercent, value, p.err == nil, p.at, p.err))
	}
	return append(out, externalSignals(o.external)...)
}

func signal(name, value string, healthy bool, at time.Time, err error) v1alpha1.SignalStatus {
	s := v1alpha1.SignalStatus{Name: name, Value: value, Healthy: healthy}
	if !at.IsZero() {
		t := wholeSeconds(at)
		s.LastUpdate = &t
	}
	if err != nil && !healthy {
		s.Message = err.Error()
	}
	return s
}

// lastGoodFromStatus is the last good Flux read status remembers: after a restart, data
// that old must not look fresh, and the fallback timer keeps counting from it.
func lastGoodFromStatus(st *v1alpha1.ScalingPolicyStatus) time.Time {
	var last time.Time
	for _, s := range st.Signals {
		if slices.Contains(fluxSignals(), s.Name) && s.LastUpdate != nil && s.LastUpdate.After(last) {
			last = s.LastUpdate.Time
		}
	}
	return last
}

// liveOwned are the owned ranks still part of the target: the drain in progress. Owned ranks
// at or above the size were removed by a shrink and stay drained in Flux until a growth
// gives them back.
func (o *outcome) liveOwned() flux.RankSet {
	var out flux.RankSet
	for _, r := range o.owned {
		if o.target != nil && r < o.target.Current {
			out = append(out, r)
		}
	}
	return out
}

func rankString(ranks []int32) string { return flux.NewRankSet(ranks...).String() }

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// removedOwned is o.removed less the ranks this pass gave back.
func removedOwned(o *outcome) flux.RankSet {
	var out flux.RankSet
	for _, r := range o.removed {
		if o.owned.Contains(r) {
			out = append(out, r)
		}
	}
	return out
}

// keepDrainOutcome keeps Draining=False/DrainComplete or DrainCanceled, the outcome of the
// last drain, while no new drain starts: the pass after a shrink found nothing to drain
// and used to replace it with NotDraining, so the completion flickered away on the next
// poll (and a test waiting for it saw NotDraining; issue 19, item 17).
func keepDrainOutcome(old *v1alpha1.ScalingPolicyStatus, c metav1.Condition, o *outcome) metav1.Condition {
	if c.Type != v1alpha1.ConditionDraining || c.Reason != v1alpha1.ReasonNotDraining || o.dryRun {
		return c
	}
	prev := meta.FindStatusCondition(old.Conditions, v1alpha1.ConditionDraining)
	if prev == nil || prev.Status != metav1.ConditionFalse ||
		(prev.Reason != v1alpha1.ReasonDrainComplete && prev.Reason != v1alpha1.ReasonDrainCanceled) {
		return c
	}
	c.Reason, c.Message = prev.Reason, prev.Message
	return c
}
