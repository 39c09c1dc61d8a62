package policy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

func TestHints(t *testing.T) {
	floor, exact := v1alpha1.HintFloor, v1alpha1.HintExact
	cases := []struct {
		name  string
		in    *inputWrapper
		want  int32
		limit string
	}{
		{name: "Floor raises above the queue, past the rate limit",
			in:   makeInput(2, 30).alloc(0).hint("app", 20, floor, time.Minute),
			want: 20, limit: v1alpha1.ReasonDesiredWithinRange},
		{name: "Floor below the queue changes nothing",
			in:   makeInput(6, 30).alloc(0, 1, 2, 3, 4, 5).hint("app", 3, floor, time.Minute),
			want: 6, limit: v1alpha1.ReasonDesiredWithinRange},
		{name: "Exact sets the size, even below the queue",
			in:   makeInput(6, 30).alloc(0, 1, 2, 3, 4, 5).hint("app", 3, exact, time.Minute),
			want: 3, limit: v1alpha1.ReasonHintExact},
		{name: "several Exact: the largest",
			in:   makeInput(6, 30).hint("a", 3, exact, time.Minute).hint("b", 5, exact, time.Minute),
			want: 5, limit: v1alpha1.ReasonHintExact},
		{name: "Exact then a larger Floor: the Floor",
			in:   makeInput(6, 30).hint("a", 3, exact, time.Minute).hint("b", 4, floor, time.Minute),
			want: 4, limit: v1alpha1.ReasonDesiredWithinRange},
		{name: "a subject's later hint replaces its earlier one",
			in:   makeInput(1, 30).hint("app", 10, floor, time.Minute).hint("app", 2, floor, time.Minute),
			want: 2, limit: v1alpha1.ReasonDesiredWithinRange},
		{name: "a later expired hint still replaces",
			in:   makeInput(1, 30).hint("app", 10, floor, time.Minute).hint("app", 5, floor, -time.Second),
			want: 1, limit: v1alpha1.ReasonTooFewReplicas},
		{name: "expired at Now: ignored",
			in:   makeInput(1, 30).hint("app", 10, floor, 0),
			want: 1, limit: v1alpha1.ReasonTooFewReplicas},
		{name: "no mode: the spec's (Floor by default)",
			in:   makeInput(4, 30).hint("app", 2, "", time.Minute),
			want: 2, limit: v1alpha1.ReasonDesiredWithinRange},
		{name: "never past the max",
			in:   makeInput(4, 6).hint("app", 100, exact, time.Minute),
			want: 6, limit: v1alpha1.ReasonTooManyReplicas},
		{name: "never below the min",
			in: func() *inputWrapper {
				w := makeInput(4, 6).hint("app", 1, exact, time.Minute)
				w.in.Spec.MinSize = 2
				return w
			}(),
			want: 2, limit: v1alpha1.ReasonTooFewReplicas},
		{name: "disabled: ignored",
			in: func() *inputWrapper {
				w := makeInput(1, 30).hint("app", 10, floor, time.Minute)
				w.in.Spec.Hints = v1alpha1.HintsSpec{Enabled: ptr(false), Mode: floor}
				return w
			}(),
			want: 1, limit: v1alpha1.ReasonTooFewReplicas},
		{name: "spec mode Exact applies to hints without a mode",
			in: func() *inputWrapper {
				w := makeInput(6, 30).alloc(0, 1, 2, 3, 4, 5).hint("app", 2, "", time.Minute)
				w.in.Spec.Hints = v1alpha1.HintsSpec{Enabled: ptr(true), Mode: exact}
				return w
			}(),
			want: 2, limit: v1alpha1.ReasonHintExact},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in.obj())
			if d.Desired != tc.want || d.Limit != tc.limit {
				t.Errorf("Desired, Limit = %d, %s; want %d, %s (%s)", d.Desired, d.Limit, tc.want, tc.limit, d.Message)
			}
		})
	}
}

// TestHintsBypassStabilization: the queue asks for 6 but a 600 s scale-up window holds the
// size at 2; a Floor hint of 8 acts at once, and 8 is recorded as this decision's
// recommendation, so that the size steps down through the scale-down window once it expires.
func TestHintsBypassStabilization(t *testing.T) {
	in := makeInput(2, 30).alloc(0, 1).pending(4).hint("app", 8, v1alpha1.HintFloor, time.Minute).obj()
	in.Spec.Behavior.ScaleUp = scaling(600, "")
	in.History.Recommendations = []TimedSize{{Time: t0.Add(-time.Minute), Size: 2}}
	without := in
	without.Hints = nil
	if d := Decide(without); d.Desired != 2 || d.Limit != v1alpha1.ReasonScaleUpStabilized {
		t.Fatalf("without the hint: Desired, Limit = %d, %s; want 2, ScaleUpStabilized", d.Desired, d.Limit)
	}
	d := Decide(in)
	if d.Desired != 8 || !d.Scale {
		t.Errorf("Desired, Scale = %d, %v; want 8, true (%s)", d.Desired, d.Scale, d.Message)
	}
	want := []TimedSize{{Time: t0.Add(-time.Minute), Size: 2}, {Time: t0, Size: 8}}
	if diff := cmp.Diff(want, d.History.Recommendations); diff != "" {
		t.Errorf("recorded recommendations (-want +got):\n%s", diff)
	}
}

// TestStoppedRecommendationStepsDownThroughTheWindow (issue 19, item 9): a Floor hint of 8
// expiring, or a Schedule window of minSize 8 closing, used to drop a 2-node queue's target
// from 8 to 2 at once under the default 300 s scale-down window, because the hinted size was
// never recorded. Each Decision's History feeds the next call every 15 s; the size must stay
// at 8 until the last recommendation of 8 (t0+45s) leaves the window, at t0+345s.
func TestStoppedRecommendationStepsDownThroughTheWindow(t *testing.T) {
	// Opened at 11:00 for 61 minutes: it closes at t0+60s, so its last open decision is at
	// t0+45s, like the hint's (it expires at t0+60s).
	window := v1alpha1.ScheduleWindow{Cron: "0 11 * * *", DurationMinutes: 61, MinSize: 8}
	cases := []struct {
		name  string
		setup func(w *inputWrapper) *inputWrapper
	}{{
		name:  "a Floor hint expires",
		setup: func(w *inputWrapper) *inputWrapper { return w.hint("app", 8, v1alpha1.HintFloor, time.Minute) },
	}, {
		name: "a schedule window closes",
		setup: func(w *inputWrapper) *inputWrapper {
			w.in.Spec.Policies = []v1alpha1.PolicySpec{
				{Type: v1alpha1.PolicyQueueDepth}, {Type: v1alpha1.PolicySchedule, Schedule: []v1alpha1.ScheduleWindow{window}},
			}
			return w
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			current := int32(8)
			h := History{Recommendations: []TimedSize{{Time: t0.Add(-time.Minute), Size: 8}}}
			shrunkAt := time.Duration(-1)
			for at := time.Duration(0); at <= 600*time.Second; at += 15 * time.Second {
				in := tc.setup(makeInput(current, 10).alloc(0, 1).behavior(nil)).obj()
				in.Now = t0.Add(at)
				in.History = h
				d := Decide(in)
				h = d.History
				if d.Desired != current {
					current, shrunkAt = d.Desired, at
					break
				}
			}
			if current != 2 || shrunkAt != 345*time.Second {
				t.Errorf("went to %d at t0+%s, want 2 at t0+345s", current, shrunkAt)
			}
		})
	}
}
