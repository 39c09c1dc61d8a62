package policy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// The HPA parity cases below use the numbers HPA's behavior produces for the examples of
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior
// (rate policies counted from the size at the period's start, Percent up rounded up, Percent
// down truncated, stabilization over (now-window, now]).

// decideFor is one decision where QueueDepth recommends rec (rec busy nodes, no queue) on a
// target of size current, shrinking Immediate so that only the behavior holds it back.
func decideFor(current, rec int32, b *v1alpha1.ScalingBehavior, h History) Decision {
	in := makeInput(current, 1000).busy(rec).behavior(b).obj()
	in.History = h
	return Decide(in)
}

// TestHPADocScaleDownPolicies replays the docs' "Scaling policies" example: scale-down
// policies Pods 4 per 60 s and Percent 10 per 60 s, selectPolicy Max by default, from 80
// replicas to a target of 10. "during the first step 8 replicas will be reduced. In the next
// iteration when the number of replicas is 72, 10% of the pods is 7.2 but the number is
// rounded up to 8 ... When the number of replicas falls below 40 the first policy (Pods) is
// applied and 4 replicas will be reduced at a time." The window is set to 0 to isolate the
// rate policies; decisions run every 15 s as HPA's sync period, and the size moves once per
// 60 s period.
func TestHPADocScaleDownPolicies(t *testing.T) {
	b := &v1alpha1.ScalingBehavior{ScaleDown: scaling(0, "", pods(4, 60), percent(10, 60))}
	current := int32(80)
	var h History
	var got []int32
	for step := range 60 {
		in := makeInput(current, 100).busy(10).behavior(b).obj()
		in.Now = t0.Add(time.Duration(step) * 15 * time.Second)
		in.History = h
		d := Decide(in)
		h = d.History
		if d.Scale {
			current = d.Desired
			got = append(got, current)
		}
	}
	want := []int32{72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sizes (-want +got):\n%s", diff)
	}
}

func TestRateLimits(t *testing.T) {
	ev := func(ago time.Duration, from, to int32) ScaleEvent {
		return ScaleEvent{Time: t0.Add(-ago), From: from, To: to}
	}
	cases := []struct {
		name    string
		current int32
		rec     int32
		up      *v1alpha1.ScalingRules
		down    *v1alpha1.ScalingRules
		events  []ScaleEvent
		want    int32
		limit   string
	}{
		// HPA defaults: "4 pods or a 100% of the currently running replicas will be added
		// every 15 seconds" (docs, Default Behavior).
		{name: "default up from 2: +4 pods beats +100%", current: 2, rec: 20, want: 6, limit: v1alpha1.ReasonScaleUpLimit},
		{name: "default up from 10: +100% beats +4 pods", current: 10, rec: 50, want: 20, limit: v1alpha1.ReasonScaleUpLimit},
		{name: "default up within the limit", current: 10, rec: 14, want: 14, limit: v1alpha1.ReasonDesiredWithinRange},
		{name: "up counted from the period's start", current: 6, rec: 20,
			events: []ScaleEvent{ev(10*time.Second, 2, 6)}, want: 6, limit: v1alpha1.ReasonScaleUpLimit},
		{name: "an event exactly one period old no longer counts", current: 6, rec: 20,
			events: []ScaleEvent{ev(15*time.Second, 2, 6)}, want: 12, limit: v1alpha1.ReasonScaleUpLimit},
		{name: "limit below current keeps current", current: 12, rec: 20, up: scaling(0, "", pods(4, 60)),
			events: []ScaleEvent{ev(10*time.Second, 2, 12)}, want: 12, limit: v1alpha1.ReasonScaleUpLimit},
		// HPA computes Percent in float64: ceil(50*1.1) is 56 there, and so here.
		{name: "Percent up rounds up as HPA", current: 50, rec: 100, up: scaling(0, "", percent(10, 60)),
			want: 56, limit: v1alpha1.ReasonScaleUpLimit},
		{name: "Percent up from 1 still grows", current: 1, rec: 100, up: scaling(0, "", percent(10, 60)),
			want: 2, limit: v1alpha1.ReasonScaleUpLimit},
		{name: "up selectPolicy Min picks the smaller change", current: 10, rec: 50,
			up: scaling(0, v1alpha1.SelectMin, percent(100, 15), pods(4, 15)), want: 14, limit: v1alpha1.ReasonScaleUpLimit},
		{name: "up Disabled", current: 3, rec: 5, up: scaling(0, v1alpha1.SelectDisabled),
			want: 3, limit: v1alpha1.ReasonScaleUpDisabled},
		// Docs, "Example: limit scale down rate": Percent 10 and Pods 5 per 60 s,
		// selectPolicy Min "chooses the policy that affects the smallest number of Pods".
		{name: "docs Min example at 80: Pods 5 is smaller than 10%", current: 80, rec: 10,
			down: scaling(0, v1alpha1.SelectMin, percent(10, 60), pods(5, 60)), want: 75, limit: v1alpha1.ReasonScaleDownLimit},
		{name: "docs Min example at 30: 10% is smaller than Pods 5", current: 30, rec: 10,
			down: scaling(0, v1alpha1.SelectMin, percent(10, 60), pods(5, 60)), want: 27, limit: v1alpha1.ReasonScaleDownLimit},
		// Docs, "Example: limit scale down rate": 10 % per minute.
		{name: "docs 10% per minute from 10", current: 10, rec: 1,
			down: scaling(0, "", percent(10, 60)), want: 9, limit: v1alpha1.ReasonScaleDownLimit},
		{name: "docs 10% per minute, second step in the same minute", current: 9, rec: 1,
			down: scaling(0, "", percent(10, 60)), events: []ScaleEvent{ev(30*time.Second, 10, 9)},
			want: 9, limit: v1alpha1.ReasonScaleDownLimit},
		// Docs, "Example: disable scale down".
		{name: "down Disabled", current: 8, rec: 2, down: scaling(0, v1alpha1.SelectDisabled),
			want: 8, limit: v1alpha1.ReasonScaleDownDisabled},
		// HPA's period start uses up and down events alike: 8 = 4 + 4 a moment ago.
		{name: "down after an up in the same period", current: 8, rec: 2, down: scaling(0, "", pods(1, 60)),
			events: []ScaleEvent{ev(10*time.Second, 4, 8)}, want: 3, limit: v1alpha1.ReasonScaleDownLimit},
		{name: "default down: 100% per 15 s", current: 8, rec: 1, down: scaling(0, ""),
			want: 1, limit: v1alpha1.ReasonDesiredWithinRange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := decideFor(tc.current, tc.rec, &v1alpha1.ScalingBehavior{ScaleUp: tc.up, ScaleDown: tc.down},
				History{ScaleEvents: tc.events})
			if d.Desired != tc.want || d.Limit != tc.limit {
				t.Errorf("Desired, Limit = %d, %s; want %d, %s (%s)", d.Desired, d.Limit, tc.want, tc.limit, d.Message)
			}
		})
	}
}

func TestStabilization(t *testing.T) {
	rec := func(ago time.Duration, size int32) TimedSize { return TimedSize{Time: t0.Add(-ago), Size: size} }
	cases := []struct {
		name     string
		current  int32
		rec      int32
		up, down int32
		history  []TimedSize
		want     int32
		limit    string
	}{
		// Docs, "Stabilization window": "all desired states from the past 5 minutes will be
		// considered", and the highest is used when scaling down.
		{name: "docs 300 s down window keeps the highest", current: 10, rec: 5, down: 300,
			history: []TimedSize{rec(290*time.Second, 10), rec(200*time.Second, 8)},
			want:    10, limit: v1alpha1.ReasonScaleDownStabilized},
		{name: "a recommendation exactly one window old no longer counts", current: 10, rec: 5, down: 300,
			history: []TimedSize{rec(300*time.Second, 10), rec(200*time.Second, 8)},
			want:    8, limit: v1alpha1.ReasonScaleDownStabilized},
		{name: "up window keeps the lowest", current: 4, rec: 9, up: 60, down: 300,
			history: []TimedSize{rec(30*time.Second, 5)}, want: 5, limit: v1alpha1.ReasonScaleUpStabilized},
		{name: "up window 0 (default) ignores the past", current: 4, rec: 8, down: 300,
			history: []TimedSize{rec(1*time.Second, 5)}, want: 8, limit: v1alpha1.ReasonDesiredWithinRange},
		{name: "both windows: current stays within [lowest, highest]", current: 5, rec: 6, up: 60, down: 60,
			history: []TimedSize{rec(30*time.Second, 3), rec(20*time.Second, 9)},
			want:    5, limit: v1alpha1.ReasonScaleUpStabilized},
		{name: "down window: a lower past does not pull below the recommendation", current: 10, rec: 7, down: 300,
			history: []TimedSize{rec(100*time.Second, 2)}, want: 7, limit: v1alpha1.ReasonDesiredWithinRange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &v1alpha1.ScalingBehavior{ScaleUp: scaling(tc.up, ""), ScaleDown: scaling(tc.down, "")}
			d := decideFor(tc.current, tc.rec, b, History{Recommendations: tc.history})
			if d.Desired != tc.want || d.Limit != tc.limit {
				t.Errorf("Desired, Limit = %d, %s; want %d, %s (%s)", d.Desired, d.Limit, tc.want, tc.limit, d.Message)
			}
		})
	}
}

// TestStabilizationAcrossCalls feeds each Decision's History into the next call, as the
// controller does through status: with HPA's default 300 s scale-down window, a drop of the
// recommendation from 10 to 2 at t0 shrinks only once the last 10 (recorded at t0-15s)
// leaves the window, at t0+285s.
func TestStabilizationAcrossCalls(t *testing.T) {
	current := int32(10)
	var h History
	var shrunkAt time.Duration
	for at := -300 * time.Second; at <= 600*time.Second; at += 15 * time.Second {
		rec := int32(10)
		if at >= 0 {
			rec = 2
		}
		in := makeInput(current, 20).busy(rec).behavior(nil).obj()
		in.Now = t0.Add(at)
		in.History = h
		d := Decide(in)
		h = d.History
		if d.Scale {
			current = d.Desired
			shrunkAt = at
			break
		}
		if at >= 0 && d.Limit != v1alpha1.ReasonScaleDownStabilized {
			t.Fatalf("at %s: Limit = %s, want ScaleDownStabilized (%s)", at, d.Limit, d.Message)
		}
	}
	if current != 2 || shrunkAt != 285*time.Second {
		t.Errorf("shrank to %d at t0+%s, want 2 at t0+285s", current, shrunkAt)
	}
}

func TestTolerance(t *testing.T) {
	tol := func(q string) *resource.Quantity { v := resource.MustParse(q); return &v }
	cases := []struct {
		name    string
		current int32
		rec     int32
		up, dn  string
		want    int32
		limit   string
	}{
		{name: "up within 50%", current: 4, rec: 6, up: "0.5", dn: "0", want: 4, limit: v1alpha1.ReasonWithinTolerance},
		{name: "up beyond 50%", current: 4, rec: 7, up: "0.5", dn: "0", want: 7, limit: v1alpha1.ReasonDesiredWithinRange},
		{name: "down within 25%", current: 8, rec: 6, up: "0", dn: "250m", want: 8, limit: v1alpha1.ReasonWithinTolerance},
		{name: "down beyond 25%", current: 8, rec: 5, up: "0", dn: "250m", want: 5, limit: v1alpha1.ReasonDesiredWithinRange},
		{name: "default 0: one node counts", current: 10, rec: 11, want: 11, limit: v1alpha1.ReasonDesiredWithinRange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up, down := scaling(0, "", pods(100, 15)), scaling(0, "")
			if tc.up != "" {
				up.Tolerance, down.Tolerance = tol(tc.up), tol(tc.dn)
			}
			d := decideFor(tc.current, tc.rec, &v1alpha1.ScalingBehavior{ScaleUp: up, ScaleDown: down}, History{})
			if d.Desired != tc.want || d.Limit != tc.limit {
				t.Errorf("Desired, Limit = %d, %s; want %d, %s (%s)", d.Desired, d.Limit, tc.want, tc.limit, d.Message)
			}
		})
	}
}

// TestToleranceNeverStarvesPendingJobs (issue 19, item 10): on a 10-node cluster a
// one-node pending job asks for 11, a ratio of 1.1, within a 0.1 scale-up tolerance. It must
// still get its node; tolerance holds only when no pending job could run (none, or only
// jobs larger than the max size).
func TestToleranceNeverStarvesPendingJobs(t *testing.T) {
	tol := resource.MustParse("0.1")
	// Open at t0 (12:00) for an hour: asks for 11 with no job pending.
	eleven := v1alpha1.PolicySpec{Type: v1alpha1.PolicySchedule,
		Schedule: []v1alpha1.ScheduleWindow{{Cron: "0 12 * * *", DurationMinutes: 60, MinSize: 11}}}
	full := func() *inputWrapper {
		return makeInput(10, 20).alloc(0, 1, 2, 3, 4, 5, 6, 7, 8, 9).behavior(&v1alpha1.ScalingBehavior{
			ScaleUp: &v1alpha1.ScalingRules{Tolerance: &tol}, ScaleDown: scaling(0, ""),
		})
	}
	withSchedule := func(w *inputWrapper) Input {
		in := w.obj()
		in.Spec.Policies = []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyQueueDepth}, eleven}
		return in
	}
	cases := []struct {
		name  string
		in    Input
		want  int32
		limit string
	}{{
		name: "a one-node job on 10 busy nodes gets its node",
		in:   full().pending(1).obj(), want: 11, limit: v1alpha1.ReasonDesiredWithinRange,
	}, {
		name: "a job counted but not listed gets its node",
		in: func() Input {
			in := full().obj()
			in.Flux.Counts.Sched = 1
			return in
		}(),
		want: 11, limit: v1alpha1.ReasonDesiredWithinRange,
	}, {
		name: "no job pending: within tolerance",
		in:   withSchedule(full()), want: 10, limit: v1alpha1.ReasonWithinTolerance,
	}, {
		name: "only a job larger than the max pending: within tolerance",
		in:   withSchedule(full().pending(21)), want: 10, limit: v1alpha1.ReasonWithinTolerance,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in)
			if d.Desired != tc.want || d.Limit != tc.limit {
				t.Errorf("Desired, Limit = %d, %s; want %d, %s (%s)", d.Desired, d.Limit, tc.want, tc.limit, d.Message)
			}
		})
	}
}
