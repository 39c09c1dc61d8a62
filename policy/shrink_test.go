package policy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// TestShrinkPlan: the queue asks for 4 (ranks 0-3 busy) on a target of 6 unless a case says
// otherwise, so ranks 4-5 are the ones to drop.
func TestShrinkPlan(t *testing.T) {
	drain := func() *inputWrapper {
		return makeInput(6, 10).alloc(0, 1, 2, 3).mode(v1alpha1.ScaleDownDrain)
	}
	// exact4 forces the target to 4 whatever the queue says.
	exact4 := func(w *inputWrapper) *inputWrapper { return w.hint("ops", 4, v1alpha1.HintExact, time.Hour) }
	withTimeout := func(w *inputWrapper, seconds int32) *inputWrapper {
		w.in.Spec.ScaleDown.DrainTimeoutSeconds = seconds
		return w
	}
	cases := []struct {
		name string
		in   *inputWrapper
		want Decision
	}{{
		name: "Drain: drain the top ranks first, do not shrink yet",
		in:   drain(),
		want: Decision{Desired: 4, Drain: []int32{4, 5}, Limit: v1alpha1.ReasonWaitingForDrain,
			DrainReason: v1alpha1.ReasonDrainInProgress},
	}, {
		name: "Drain: a draining rank still runs a job: drop the idle rank above it, wait for the rest",
		in:   exact4(drain().alloc(4).drained(4, 5).draining(t0.Add(-time.Minute), 4, 5)),
		want: Decision{Desired: 5, Scale: true, Limit: v1alpha1.ReasonWaitingForDrain, DrainReason: v1alpha1.ReasonDrainInProgress},
	}, {
		name: "Drain: the top rank runs a job: wait",
		in:   exact4(drain().alloc(5).drained(4, 5).draining(t0.Add(-time.Minute), 4, 5)),
		want: Decision{Desired: 4, Limit: v1alpha1.ReasonWaitingForDrain, DrainReason: v1alpha1.ReasonDrainInProgress},
	}, {
		name: "Drain: busy ranks count as busy nodes, so the queue keeps them",
		in:   drain().alloc(4).drained(4, 5).draining(t0.Add(-time.Minute), 4, 5),
		want: Decision{Desired: 5, Scale: true, Undrain: []int32{4}, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonDrainComplete},
	}, {
		name: "Drain: all drained and idle: shrink",
		in:   drain().drained(4, 5).draining(t0.Add(-time.Minute), 4, 5),
		want: Decision{Desired: 4, Scale: true, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonDrainComplete},
	}, {
		name: "Drain: a rank drained by us and needed again is given back",
		in:   drain().drained(3, 4, 5).draining(t0.Add(-time.Minute), 3, 4, 5),
		want: Decision{Desired: 4, Scale: true, Undrain: []int32{3}, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonDrainComplete},
	}, {
		name: "Drain: a rank Flux does not list cannot run jobs: no drain needed",
		in:   drain().ranks(5, 5).alloc(0, 1, 2, 3).drained(4).draining(t0.Add(-time.Minute), 4),
		want: Decision{Desired: 4, Scale: true, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonDrainComplete},
	}, {
		name: "demand returns: cancel the drain",
		in:   drain().alloc(4, 5).drained(5).draining(t0.Add(-time.Minute), 5),
		want: Decision{Desired: 6, Undrain: []int32{5}, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonDrainCanceled},
	}, {
		name: "growth gives back ranks we drained before shrinking",
		in: func() *inputWrapper {
			w := makeInput(4, 10).ranks(8, 4).alloc(0, 1, 2, 3).drained(4, 5).pending(2)
			return w.mode(v1alpha1.ScaleDownDrain).draining(time.Time{}, 4, 5)
		}(),
		want: Decision{Desired: 6, Scale: true, Undrain: []int32{4, 5}, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonDrainCanceled},
	}, {
		name: "growth keeps owning drained ranks above the new size",
		in: func() *inputWrapper {
			w := makeInput(4, 10).ranks(8, 4).alloc(0, 1, 2, 3).drained(4, 5).pending(1)
			return w.mode(v1alpha1.ScaleDownDrain).draining(time.Time{}, 4, 5)
		}(),
		want: Decision{Desired: 5, Scale: true, Undrain: []int32{4}, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonDrainCanceled},
	}, {
		name: "drain timeout: give the ranks back and stay",
		in:   withTimeout(exact4(drain().alloc(4).drained(4, 5).draining(t0.Add(-61*time.Second), 4, 5)), 60),
		want: Decision{Desired: 6, Undrain: []int32{4, 5}, Limit: v1alpha1.ReasonDrainTimedOut,
			DrainReason: v1alpha1.ReasonDrainTimedOut},
	}, {
		name: "drain within its timeout: wait",
		in:   withTimeout(exact4(drain().alloc(5).drained(4, 5).draining(t0.Add(-60*time.Second), 4, 5)), 60),
		want: Decision{Desired: 4, Limit: v1alpha1.ReasonWaitingForDrain, DrainReason: v1alpha1.ReasonDrainInProgress},
	}, {
		name: "Drain without per-rank state: never shrink",
		in:   drain().busy(4),
		want: Decision{Desired: 6, Limit: v1alpha1.ReasonPerRankUnknown, DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "Immediate: shrink at once, counting the busy ranks removed",
		in:   makeInput(6, 10).alloc(0, 1, 4).pending(1).mode(v1alpha1.ScaleDownImmediate),
		want: Decision{Desired: 4, Scale: true, BusyRanksRemoved: 1, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "Immediate without per-rank state: the worst case",
		in:   makeInput(6, 10).busy(2).mode(v1alpha1.ScaleDownImmediate),
		want: Decision{Desired: 2, Scale: true, BusyRanksRemoved: 2, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "Never: stay",
		in:   drain().mode(v1alpha1.ScaleDownNever),
		want: Decision{Desired: 6, Limit: v1alpha1.ReasonScaleDownNever, DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "Never above the max: desired is the max, never applied",
		in:   makeInput(12, 10).alloc(0).mode(v1alpha1.ScaleDownNever),
		want: Decision{Desired: 10, Limit: v1alpha1.ReasonScaleDownNever, DrainReason: v1alpha1.ReasonNotDraining},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.in.obj())
			if diff := cmp.Diff(tc.want, got, decisionCore); diff != "" {
				t.Errorf("Decide (-want +got):\n%s\nmessage: %s", diff, got.Message)
			}
		})
	}
}

// TestShrinkWaitsThenApplies walks a drain through three decisions, feeding back what the
// caller would store. An application asks for exactly 4 nodes while rank 5 runs a job:
// drain ranks 4-5, wait while the job runs, shrink when it ends. The ScaleEvent is recorded
// only by the decision that scales.
func TestShrinkWaitsThenApplies(t *testing.T) {
	in := makeInput(6, 10).alloc(0, 1, 2, 3, 5).mode(v1alpha1.ScaleDownDrain).
		hint("app", 4, v1alpha1.HintExact, time.Hour).obj()
	in.Spec.Behavior = nil // HPA defaults: a 300 s scale-down window, which the hint bypasses
	d1 := Decide(in)
	if diff := cmp.Diff([]int32{4, 5}, d1.Drain); diff != "" || d1.Scale || d1.Desired != 4 {
		t.Fatalf("first: Desired %d Scale %v Drain %v, want 4 false [4 5]", d1.Desired, d1.Scale, d1.Drain)
	}

	in.Now = t0.Add(15 * time.Second)
	in.History = d1.History
	in.Draining, in.DrainStarted = d1.Drain, in.Now
	in.Flux.Ranks[4].Drained, in.Flux.Ranks[5].Drained = true, true
	d2 := Decide(in)
	if d2.Scale || d2.Desired != 4 || len(d2.Drain) != 0 || len(d2.History.ScaleEvents) != 0 ||
		d2.Limit != v1alpha1.ReasonWaitingForDrain {
		t.Fatalf("second: %+v, want Desired 4, waiting, without a scale", d2)
	}

	in.Now = t0.Add(30 * time.Second)
	in.History = d2.History
	in.Flux.Ranks[5].Allocated = false
	d3 := Decide(in)
	if !d3.Scale || d3.Desired != 4 || d3.DrainReason != v1alpha1.ReasonDrainComplete {
		t.Fatalf("third: Desired %d Scale %v %s, want 4 true DrainComplete (%s)", d3.Desired, d3.Scale, d3.DrainReason, d3.Message)
	}
	want := History{
		// The size when nothing was on record (t0), then the Exact hint's 4, which every
		// decision records (the queue's own 5 while rank 4 runs is overridden by it).
		Recommendations: []TimedSize{{Time: t0, Size: 6}, {Time: t0.Add(30 * time.Second), Size: 4}},
		ScaleEvents:     []ScaleEvent{{Time: t0.Add(30 * time.Second), From: 6, To: 4}},
	}
	if diff := cmp.Diff(want, d3.History); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}
}
