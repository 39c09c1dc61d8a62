package autoscaler

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// condSummary is each condition as "Status/Reason", keyed by type.
func condSummary(st *v1alpha1.ScalingPolicyStatus) map[string]string {
	out := map[string]string{}
	for _, c := range st.Conditions {
		out[c.Type] = string(c.Status) + "/" + c.Reason
	}
	return out
}

func eventSummary(evs []eventRecord) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type+"/"+e.Reason)
	}
	return out
}

func freshState(pending int32) *flux.State {
	return &flux.State{PerRank: true, Counts: flux.Counts{Sched: pending, Held: 2, Run: 1}, Nodes: flux.NodeCounts{Up: 2, Free: 1, Allocated: 1}}
}

func withinRange(desired int32) *policy.Decision {
	return &policy.Decision{
		Desired: desired, Limit: v1alpha1.ReasonDesiredWithinRange, DrainReason: v1alpha1.ReasonNotDraining,
		Recommendations: []policy.Recommendation{{Policy: "QueueDepth", Size: desired, Reason: "1 busy + 5 pending nodes (job sizes)"}},
	}
}

func indexedJob(current int32) *target.Info {
	return &target.Info{Kind: target.KindIndexedJob, Name: "work", Namespace: ns, Current: current, Live: current, JobName: "work"}
}

func TestNewStatusAndEvents(t *testing.T) {
	readyOld := func() *v1alpha1.ScalingPolicyStatus {
		return &v1alpha1.ScalingPolicyStatus{Conditions: []metav1.Condition{
			{Type: v1alpha1.ConditionAbleToScale, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonReadyForNewScale},
			{Type: v1alpha1.ConditionScalingActive, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonValidMetrics},
		}}
	}
	tests := []struct {
		name       string
		old        *v1alpha1.ScalingPolicyStatus
		o          outcome
		wantConds  map[string]string
		wantEvents []string
		check      func(t *testing.T, st *v1alpha1.ScalingPolicyStatus, evs []eventRecord)
	}{{
		name:       "target missing sets only AbleToScale and keeps the rest",
		old:        &v1alpha1.ScalingPolicyStatus{CurrentSize: 3, DesiredSize: 3, DrainingRanks: "5"},
		o:          outcome{targetProblem: &target.Problem{Reason: v1alpha1.ReasonTargetNotFound, Message: "Job team/work not found"}},
		wantConds:  map[string]string{v1alpha1.ConditionAbleToScale: "False/TargetNotFound"},
		wantEvents: []string{"Warning/TargetProblem"},
		check: func(t *testing.T, st *v1alpha1.ScalingPolicyStatus, _ []eventRecord) {
			if st.CurrentSize != 3 || st.DrainingRanks != "5" {
				t.Errorf("status lost what it knew: currentSize %d, drainingRanks %q", st.CurrentSize, st.DrainingRanks)
			}
		},
	}, {
		name: "scaled up",
		old:  readyOld(),
		o: outcome{target: indexedJob(6), flux: fluxReading{state: freshState(5), fresh: true, lastGood: t0},
			decision: withinRange(6), scaled: true, scaledFrom: 2, scaledTo: 6},
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "True/SucceededRescale", v1alpha1.ConditionScalingActive: "True/ValidMetricFound",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/NotDraining",
			v1alpha1.ConditionFallbackActive: "False/FluxStateHealthy",
		},
		wantEvents: []string{"Normal/SuccessfulRescale"},
		check: func(t *testing.T, st *v1alpha1.ScalingPolicyStatus, evs []eventRecord) {
			if st.CurrentSize != 6 || st.DesiredSize != 6 || st.LastScaleTime == nil || !st.LastScaleTime.Equal(&metav1.Time{Time: t0}) {
				t.Errorf("sizes: current %d desired %d lastScaleTime %v", st.CurrentSize, st.DesiredSize, st.LastScaleTime)
			}
			want := "New size: 6; reason: QueueDepth recommended 6 (1 busy + 5 pending nodes (job sizes))"
			if evs[0].Note != want {
				t.Errorf("event note:\n got %q\nwant %q", evs[0].Note, want)
			}
			pending := st.Signals[0]
			if pending.Name != signalPendingJobs || pending.Value != "5" || !pending.Healthy || pending.LastUpdate == nil {
				t.Errorf("pending signal: %+v", pending)
			}
			// Held jobs are shown apart from the pending ones, which leave them out.
			if held := st.Signals[1]; held.Name != signalHeldJobs || held.Value != "2" || !held.Healthy {
				t.Errorf("held signal: %+v", held)
			}
		},
	}, {
		name: "scale write failed",
		old:  readyOld(),
		o: outcome{target: indexedJob(2), flux: fluxReading{state: freshState(5), fresh: true, lastGood: t0},
			decision: withinRange(6), scaleErr: errors.New("patching Job: forbidden")},
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "False/FailedUpdateScale", v1alpha1.ConditionScalingActive: "True/ValidMetricFound",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/NotDraining",
			v1alpha1.ConditionFallbackActive: "False/FluxStateHealthy",
		},
		wantEvents: []string{"Warning/FailedRescale"},
	}, {
		name: "drain started",
		old:  readyOld(),
		o: func() outcome {
			d := withinRange(4)
			d.Limit, d.Message, d.DrainReason = v1alpha1.ReasonWaitingForDrain, "shrinking to 4 once ranks 4-5 are drained and idle", v1alpha1.ReasonDrainInProgress
			d.Drain = []int32{4, 5}
			return outcome{target: indexedJob(6), flux: fluxReading{state: freshState(0), fresh: true, lastGood: t0},
				decision: d, drained: flux.NewRankSet(4, 5), owned: flux.NewRankSet(4, 5), drainStart: t0}
		}(),
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "True/ReadyForNewScale", v1alpha1.ConditionScalingActive: "True/ValidMetricFound",
			v1alpha1.ConditionScalingLimited: "True/WaitingForDrain", v1alpha1.ConditionDraining: "True/DrainInProgress",
			v1alpha1.ConditionFallbackActive: "False/FluxStateHealthy",
		},
		wantEvents: []string{"Normal/DrainStarted"},
		check: func(t *testing.T, st *v1alpha1.ScalingPolicyStatus, _ []eventRecord) {
			if st.DrainingRanks != "4-5" || st.DrainStartTime == nil {
				t.Errorf("drainingRanks %q drainStartTime %v", st.DrainingRanks, st.DrainStartTime)
			}
		},
	}, {
		name: "shrink after the drain keeps the removed ranks owned",
		old:  &v1alpha1.ScalingPolicyStatus{DrainingRanks: "4-5", DrainStartTime: &metav1.Time{Time: t0}},
		o: func() outcome {
			d := withinRange(4)
			d.DrainReason = v1alpha1.ReasonDrainComplete
			return outcome{target: indexedJob(4), flux: fluxReading{state: freshState(0), fresh: true, lastGood: t0},
				decision: d, scaled: true, scaledFrom: 6, scaledTo: 4, released: flux.NewRankSet(4, 5), owned: flux.NewRankSet(4, 5), drainStart: t0}
		}(),
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "True/SucceededRescale", v1alpha1.ConditionScalingActive: "True/ValidMetricFound",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/DrainComplete",
			v1alpha1.ConditionFallbackActive: "False/FluxStateHealthy",
		},
		wantEvents: []string{"Normal/SuccessfulRescale", "Normal/DrainCompleted"},
		check: func(t *testing.T, st *v1alpha1.ScalingPolicyStatus, _ []eventRecord) {
			if st.DrainingRanks != "4-5" || st.DrainStartTime != nil {
				t.Errorf("drainingRanks %q (want 4-5 still owned) drainStartTime %v (want none)", st.DrainingRanks, st.DrainStartTime)
			}
		},
	}, {
		name: "flux read fails after a good read: stale, fallback not yet",
		old:  readyOld(),
		o: outcome{now: t0.Add(30 * time.Second), target: indexedJob(3),
			flux:     fluxReading{state: freshState(1), lastGood: t0, err: errors.New("exec: pod not running")},
			decision: withinRange(3)},
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "True/ReadyForNewScale", v1alpha1.ConditionScalingActive: "False/FluxStateStale",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/NotDraining",
			v1alpha1.ConditionFallbackActive: "False/FluxStateHealthy",
		},
		wantEvents: []string{"Warning/FluxStateUnavailable"},
		check: func(t *testing.T, st *v1alpha1.ScalingPolicyStatus, _ []eventRecord) {
			// The read's error is said once, in ScalingActive; every Flux signal points there.
			for _, s := range st.Signals {
				if s.Healthy || s.Message != errSeeScalingActive.Error() || !s.LastUpdate.Time.Equal(t0) {
					t.Errorf("stale signal: %+v", s)
				}
			}
			if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionScalingActive); c == nil || !strings.Contains(c.Message, "exec: pod not running") {
				t.Errorf("ScalingActive %+v: want the read's error in its message", c)
			}
		},
	}, {
		name: "flux stays stale: no second event",
		old: &v1alpha1.ScalingPolicyStatus{Conditions: []metav1.Condition{
			{Type: v1alpha1.ConditionScalingActive, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonFluxStale},
		}},
		o: outcome{now: t0.Add(40 * time.Second), target: indexedJob(3),
			flux:     fluxReading{lastGood: t0, err: errors.New("exec: pod not running")},
			decision: &policy.Decision{Desired: 3, Fallback: true, FallbackReason: v1alpha1.ReasonFallbackHold}},
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "True/ReadyForNewScale", v1alpha1.ConditionScalingActive: "False/FluxStateStale",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/NotDraining",
			v1alpha1.ConditionFallbackActive: "True/FallbackHold",
		},
	}, {
		name: "never read since restart: unavailable",
		old:  readyOld(),
		o: outcome{target: indexedJob(3), flux: fluxReading{err: errors.New("no running pod with completion index 0")},
			decision: withinRange(3)},
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "True/ReadyForNewScale", v1alpha1.ConditionScalingActive: "False/FluxStateUnavailable",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/NotDraining",
			v1alpha1.ConditionFallbackActive: "False/FluxStateHealthy",
		},
		wantEvents: []string{"Warning/FluxStateUnavailable"},
	}, {
		name: "dry run reports without owning ranks",
		old:  &v1alpha1.ScalingPolicyStatus{DrainingRanks: "7"},
		o: func() outcome {
			d := withinRange(4)
			d.Drain, d.DrainReason = []int32{4, 5}, v1alpha1.ReasonDrainInProgress
			return outcome{dryRun: true, target: indexedJob(6), flux: fluxReading{state: freshState(0), fresh: true, lastGood: t0},
				decision: d}
		}(),
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "True/DryRun", v1alpha1.ConditionScalingActive: "True/ValidMetricFound",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/NotDraining",
			v1alpha1.ConditionFallbackActive: "False/FluxStateHealthy",
		},
		check: func(t *testing.T, st *v1alpha1.ScalingPolicyStatus, _ []eventRecord) {
			if st.DrainingRanks != "7" {
				t.Errorf("a dry run changed drainingRanks to %q", st.DrainingRanks)
			}
			if c := st.Conditions[0]; !strings.Contains(c.Message, "would drain ranks 4-5") {
				t.Errorf("dry-run message %q does not say what it would drain", c.Message)
			}
		},
	}, {
		name: "minicluster size not applied",
		old:  readyOld(),
		o: outcome{target: &target.Info{Kind: target.KindMiniCluster, Name: "flux-sample", Current: 12, Live: 3, Max: 6},
			notApplied: true, flux: fluxReading{state: freshState(0), fresh: true, lastGood: t0}, decision: withinRange(3)},
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "False/SizeNotApplied", v1alpha1.ConditionScalingActive: "True/ValidMetricFound",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/NotDraining",
			v1alpha1.ConditionFallbackActive: "False/FluxStateHealthy",
		},
		wantEvents: []string{"Warning/FailedRescale"},
	}, {
		name: "a size of 0 written by a user is put back without a warning",
		old:  readyOld(),
		o: outcome{target: &target.Info{Kind: target.KindMiniCluster, Name: "flux-sample", Current: 3, Live: 3, Max: 6},
			notApplied: true, scaled: true, restored: true, scaledFrom: 0, scaledTo: 3,
			flux: fluxReading{state: freshState(0), fresh: true, lastGood: t0}, decision: withinRange(3)},
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "True/SucceededRescale", v1alpha1.ConditionScalingActive: "True/ValidMetricFound",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/NotDraining",
			v1alpha1.ConditionFallbackActive: "False/FluxStateHealthy",
		},
		wantEvents: []string{"Normal/SuccessfulRescale"},
		check: func(t *testing.T, st *v1alpha1.ScalingPolicyStatus, _ []eventRecord) {
			if c := st.Conditions[0]; !strings.Contains(c.Message, "ignores a size of 0") || strings.Contains(c.Message, "maxSize") {
				t.Errorf("AbleToScale message %q, want it to say a size of 0 is ignored (not that it is above maxSize)", c.Message)
			}
		},
	}, {
		name: "a conflict on the size write is retried quietly",
		old:  readyOld(),
		o: outcome{target: indexedJob(2), scaleErr: apierrors.NewConflict(schema.GroupResource{Group: "batch", Resource: "jobs"}, "work", errors.New("the object has been modified")),
			flux: fluxReading{state: freshState(4), fresh: true, lastGood: t0}, decision: withinRange(6)},
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "True/ReadyForNewScale", v1alpha1.ConditionScalingActive: "True/ValidMetricFound",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/NotDraining",
			v1alpha1.ConditionFallbackActive: "False/FluxStateHealthy",
		},
	}, {
		name: "the fallback names the spec's action and an outage it cannot date",
		old:  readyOld(),
		o: func() outcome {
			d := withinRange(3)
			d.Fallback, d.FallbackReason = true, v1alpha1.ReasonFallbackHold
			return outcome{target: indexedJob(3), flux: fluxReading{err: errors.New("agent unreachable")}, decision: d}
		}(),
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "True/ReadyForNewScale", v1alpha1.ConditionScalingActive: "False/FluxStateUnavailable",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/NotDraining",
			v1alpha1.ConditionFallbackActive: "True/FallbackHold",
		},
		wantEvents: []string{"Warning/FluxStateUnavailable"},
		check: func(t *testing.T, st *v1alpha1.ScalingPolicyStatus, _ []eventRecord) {
			c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionFallbackActive)
			if !strings.Contains(c.Message, "fallback.action Hold") || strings.Contains(c.Message, "FallbackHold") ||
				strings.Contains(c.Message, "since this controller started") {
				t.Errorf("FallbackActive message %q, want the spec's words and no claim about when the outage began", c.Message)
			}
		},
	}, {
		name: "a new hint is announced once",
		old: &v1alpha1.ScalingPolicyStatus{ActiveHints: []v1alpha1.HintStatus{
			{ID: "h1", Subject: "system:serviceaccount:team:a", Size: 2, ExpiresAt: metav1.NewTime(t0.Add(time.Hour))},
		}},
		o: outcome{target: indexedJob(4), source: v1alpha1.SourceNone, decision: withinRange(4), hints: []policy.Hint{
			{ID: "h1", Subject: "system:serviceaccount:team:a", Size: 2, Expires: t0.Add(time.Hour)},
			{ID: "h2", Subject: "system:serviceaccount:team:b", Size: 4, Mode: v1alpha1.HintExact, Expires: t0.Add(time.Hour)},
			{ID: "old", Subject: "system:serviceaccount:team:c", Size: 9, Expires: t0},
		}},
		wantConds: map[string]string{
			v1alpha1.ConditionAbleToScale: "True/ReadyForNewScale", v1alpha1.ConditionScalingActive: "True/NoFluxSource",
			v1alpha1.ConditionScalingLimited: "False/DesiredWithinRange", v1alpha1.ConditionDraining: "False/NotDraining",
			v1alpha1.ConditionFallbackActive: "False/NoFluxSource",
		},
		wantEvents: []string{"Normal/HintAccepted"},
		check: func(t *testing.T, st *v1alpha1.ScalingPolicyStatus, evs []eventRecord) {
			var ids []string
			for _, h := range st.ActiveHints {
				ids = append(ids, h.ID)
			}
			if diff := cmp.Diff([]string{"h1", "h2"}, ids); diff != "" {
				t.Errorf("activeHints (-want +got):\n%s", diff)
			}
			if len(st.Signals) != 0 {
				t.Errorf("flux.source None reports signals %+v", st.Signals)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			if o.now.IsZero() {
				o.now = t0
			}
			o.generation = 3
			st := newStatus(tc.old, &o)
			evs := transitionEvents(tc.old, &st, &o)
			if diff := cmp.Diff(tc.wantConds, condSummary(&st)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantEvents, eventSummary(evs)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			for _, c := range st.Conditions {
				if c.ObservedGeneration != 3 {
					t.Errorf("condition %s has observedGeneration %d, want 3", c.Type, c.ObservedGeneration)
				}
			}
			if st.ObservedGeneration != 3 {
				t.Errorf("observedGeneration %d, want 3", st.ObservedGeneration)
			}
			if tc.check != nil {
				tc.check(t, &st, evs)
			}
		})
	}
}

func TestConditionTransitionTimeKeptWhileStatusHolds(t *testing.T) {
	o := outcome{now: t0, target: indexedJob(3), flux: fluxReading{state: freshState(0), fresh: true, lastGood: t0}, decision: withinRange(3)}
	first := newStatus(&v1alpha1.ScalingPolicyStatus{}, &o)
	o.now = t0.Add(time.Minute)
	second := newStatus(&first, &o)
	for _, c := range second.Conditions {
		if !c.LastTransitionTime.Time.Equal(t0) {
			t.Errorf("condition %s moved its lastTransitionTime to %v without a change", c.Type, c.LastTransitionTime)
		}
	}
}

func TestLastGoodFromStatus(t *testing.T) {
	st := &v1alpha1.ScalingPolicyStatus{Signals: []v1alpha1.SignalStatus{
		{Name: signalPendingJobs, LastUpdate: &metav1.Time{Time: t0}},
		{Name: signalNodesUp, LastUpdate: &metav1.Time{Time: t0.Add(time.Second)}},
		{Name: signalPodCPUPercent, LastUpdate: &metav1.Time{Time: t0.Add(time.Hour)}},
	}}
	if got := lastGoodFromStatus(st); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("lastGoodFromStatus = %v, want the newest flux signal %v (pod metrics do not count)", got, t0.Add(time.Second))
	}
}

// The outcome of the last drain stays on the Draining condition while nothing new drains:
// it used to flicker to NotDraining on the next poll after the shrink.
func TestDrainOutcomeStaysUntilTheNextDrain(t *testing.T) {
	old := &v1alpha1.ScalingPolicyStatus{Conditions: []metav1.Condition{{
		Type: v1alpha1.ConditionDraining, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonDrainComplete,
		Message: "ranks 1-3 drained and removed", LastTransitionTime: metav1.NewTime(t0),
	}}}
	quiet := outcome{now: t0.Add(10 * time.Second), target: indexedJob(1), flux: fluxReading{state: freshState(0), fresh: true, lastGood: t0},
		decision: withinRange(1)}
	st := newStatus(old, &quiet)
	if got := condSummary(&st)[v1alpha1.ConditionDraining]; got != "False/DrainComplete" {
		t.Errorf("Draining after a quiet pass %q, want False/DrainComplete kept", got)
	}
	d := withinRange(1)
	d.Drain, d.DrainReason = []int32{1}, v1alpha1.ReasonDrainInProgress
	draining := outcome{now: t0.Add(20 * time.Second), target: indexedJob(2), owned: flux.RankSet{1}, drained: flux.RankSet{1},
		flux: fluxReading{state: freshState(0), fresh: true, lastGood: t0}, decision: d, drainStart: t0.Add(20 * time.Second)}
	st = newStatus(&st, &draining)
	if got := condSummary(&st)[v1alpha1.ConditionDraining]; got != "True/DrainInProgress" {
		t.Errorf("Draining when a new drain starts %q, want True/DrainInProgress", got)
	}
}

// FluxWatch says what the feeder last learned, and leaves the status once no feeder follows
// Flux for the policy.
func TestFluxWatchConditionFollowsTheFeeder(t *testing.T) {
	o := outcome{now: t0, target: indexedJob(3), flux: fluxReading{state: freshState(0), fresh: true, lastGood: t0}, decision: withinRange(3)}
	o.watch = &source.WatchHealth{State: source.WatchFollowing, Since: t0}
	st := newStatus(&v1alpha1.ScalingPolicyStatus{}, &o)
	if got := condSummary(&st)[v1alpha1.ConditionFluxWatch]; got != "True/Following" {
		t.Errorf("FluxWatch %q while following, want True/Following", got)
	}
	o.watch = &source.WatchHealth{State: source.WatchBroken, Err: "exec stream cut", Since: t0, Retry: t0.Add(time.Second)}
	st = newStatus(&st, &o)
	c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionFluxWatch)
	if c == nil || c.Reason != v1alpha1.ReasonWatchBroken || !strings.Contains(c.Message, "exec stream cut") ||
		!strings.Contains(c.Message, "poll interval") {
		t.Errorf("FluxWatch while broken: %+v, want False/WatchBroken naming the error and the polling", c)
	}
	// The rest of the status does not change with the watch: polling goes on.
	if got := condSummary(&st)[v1alpha1.ConditionScalingActive]; got != "True/"+v1alpha1.ReasonValidMetrics {
		t.Errorf("ScalingActive %q with a broken watch, want True/ValidMetrics", got)
	}
	o.watch = &source.WatchHealth{State: source.WatchUnavailable, Err: "journal unavailable: not the instance owner", Since: t0, Retry: t0.Add(10 * time.Minute)}
	st = newStatus(&st, &o)
	if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionFluxWatch); c == nil || c.Reason != v1alpha1.ReasonJournalUnavailable ||
		!strings.Contains(c.Message, "not the instance owner") {
		t.Errorf("FluxWatch when unavailable: %+v, want False/JournalUnavailable naming why", c)
	}
	o.watch = nil
	st = newStatus(&st, &o)
	if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionFluxWatch); c != nil {
		t.Errorf("FluxWatch %+v with no feeder, want none", c)
	}
}
