package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// TestDecideElasticFixture rebuilds, by hand, the state captured in
// test/fluxstandin/fixture/testdata/flux/elastic-config (02_*): a MiniCluster of size 4 with
// maxSize 6, ranks 0-3 up and 4-5 offline (avail*), J1 -N2 on ranks 0-1 and J2 -N1 on rank 2
// running, J3 -N3, J4 -N6 and J5 -N7 pending. QueueDepth needs 3 busy + 3 + 6 = 12 nodes,
// capped at 6; J5 can never run on 6 nodes and is reported, not scaled for.
func TestDecideElasticFixture(t *testing.T) {
	in := makeInput(4, 6).ranks(6, 4).alloc(0, 1, 2).obj()
	in.Spec = v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 6} // every default
	in.TargetMax = 6                                             // status.maximumSize
	in.Flux.Pending = []PendingJob{
		{ID: "ƒ3mF5Nej", NNodes: 3}, {ID: "ƒ3qFqRts", NNodes: 6}, {ID: "ƒ3u7hZSw", NNodes: 7},
	}
	in.Flux.Counts = QueueCounts{Sched: 3, Run: 2}

	got := Decide(in)

	want := Decision{
		Desired: 6,
		Recommendations: []Recommendation{{
			Policy: "QueueDepth", Size: 12,
			Reason: "3 busy + 9 pending nodes (job sizes); 1 pending jobs larger than max size 6 ignored",
		}},
		Limit:         v1alpha1.ReasonTooManyReplicas,
		Scale:         true,
		Unsatisfiable: []string{"ƒ3u7hZSw"},
		DrainReason:   v1alpha1.ReasonNotDraining,
	}
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool {
		return p.String() == "Message" || p.String() == "History"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("Decide (-want +got):\n%s", diff)
	}
	// HPA's default scale-up policies allow max(4*2, 4+4) = 8 from 4; the max caps at 6.
	if got.Message != "policies recommend 12 (Max of 1); scale-up limited to 8 by behavior.scaleUp.policies; capped at maxSize 6" {
		t.Errorf("Message = %q", got.Message)
	}
}

// TestDecideStaleAndFallback: stale or missing Flux state never shrinks; hints may still
// grow the target; the fallback applies after fallback.afterSeconds.
func TestDecideStaleAndFallback(t *testing.T) {
	sizeFallback := func(in Input) Input {
		in.Spec.Fallback = v1alpha1.FallbackSpec{AfterSeconds: 180, Action: v1alpha1.FallbackSize, Size: ptr[int32](7)}
		return in
	}
	cases := []struct {
		name string
		in   Input
		want Decision
	}{{
		name: "fresh data shrinks",
		in:   makeInput(5, 10).alloc(0, 1).obj(),
		want: Decision{Desired: 2, Scale: true, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "stale data holds",
		in:   makeInput(5, 10).alloc(0, 1).stale(t0.Add(-time.Minute)).obj(),
		want: Decision{Desired: 5, Limit: v1alpha1.ReasonStaleDataHold,
			DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "missing data holds, never read: fallback Hold at once",
		in: func() Input {
			in := makeInput(5, 10).stale(time.Time{}).obj()
			in.Flux = nil
			return in
		}(),
		want: Decision{Desired: 5, Limit: v1alpha1.ReasonStaleDataHold, Fallback: true,
			FallbackReason: v1alpha1.ReasonFallbackHold, DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "stale data, hint grows",
		in: makeInput(5, 10).alloc(0, 1).stale(t0.Add(-time.Minute)).
			hint("app", 8, v1alpha1.HintFloor, time.Minute).obj(),
		want: Decision{Desired: 8, Scale: true, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "stale data, Exact hint below current is held",
		in: makeInput(5, 10).stale(t0.Add(-time.Minute)).
			hint("app", 2, v1alpha1.HintExact, time.Minute).obj(),
		want: Decision{Desired: 5, Limit: v1alpha1.ReasonStaleDataHold,
			DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "stale 179s: no fallback yet",
		in:   sizeFallback(makeInput(5, 10).stale(t0.Add(-179 * time.Second)).obj()),
		want: Decision{Desired: 5, Limit: v1alpha1.ReasonStaleDataHold,
			DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "stale 180s: fallback Size grows to 7",
		in:   sizeFallback(makeInput(5, 10).stale(t0.Add(-180 * time.Second)).obj()),
		want: Decision{Desired: 7, Scale: true, Limit: v1alpha1.ReasonDesiredWithinRange,
			Fallback: true, FallbackReason: v1alpha1.ReasonFallbackSize,
			DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "fallback Size never shrinks",
		in:   sizeFallback(makeInput(9, 10).stale(t0.Add(-time.Hour)).obj()),
		want: Decision{Desired: 9, Limit: v1alpha1.ReasonStaleDataHold, Fallback: true,
			FallbackReason: v1alpha1.ReasonFallbackSize, DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "stale with current above max: desired is the max, applied later",
		in:   makeInput(8, 6).stale(t0.Add(-time.Minute)).obj(),
		want: Decision{Desired: 6, Limit: v1alpha1.ReasonStaleDataHold,
			DrainReason: v1alpha1.ReasonNotDraining},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.in)
			if diff := cmp.Diff(tc.want, got, decisionCore); diff != "" {
				t.Errorf("Decide (-want +got):\n%s\nmessage: %s", diff, got.Message)
			}
		})
	}
}

// TestDecideSourceNone: without a Flux source, QueueDepth has nothing to say; hints and
// schedules drive the size, and with nothing asking the size returns to minSize.
func TestDecideSourceNone(t *testing.T) {
	none := func(w *inputWrapper) Input {
		in := w.obj()
		in.Spec.Flux.Source = v1alpha1.SourceNone
		in.Flux, in.FluxFresh, in.FluxLastGood = nil, false, time.Time{}
		return in
	}
	cases := []struct {
		name string
		in   Input
		want Decision
	}{{
		name: "hint grows",
		in:   none(makeInput(1, 10).hint("app", 4, "", time.Minute)),
		want: Decision{Desired: 4, Scale: true, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "nothing asks: minSize, Immediate shrinks at once",
		in:   none(makeInput(4, 10)),
		want: Decision{Desired: 1, Scale: true, Limit: v1alpha1.ReasonDesiredWithinRange,
			DrainReason: v1alpha1.ReasonNotDraining},
	}, {
		name: "nothing asks: Drain mode cannot shrink without per-rank state",
		in:   none(makeInput(4, 10).mode(v1alpha1.ScaleDownDrain)),
		want: Decision{Desired: 4, Limit: v1alpha1.ReasonPerRankUnknown,
			DrainReason: v1alpha1.ReasonNotDraining},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.in)
			if diff := cmp.Diff(tc.want, got, decisionCore); diff != "" {
				t.Errorf("Decide (-want +got):\n%s\nmessage: %s", diff, got.Message)
			}
		})
	}
}

// TestDecideMissingSignalsBlockShrink: like HPA with an invalid metric, a policy lacking its
// data keeps the others from shrinking, but not from growing.
func TestDecideMissingSignalsBlockShrink(t *testing.T) {
	cpu := v1alpha1.PolicySpec{Type: v1alpha1.PolicyUtilization,
		Utilization: &v1alpha1.UtilizationPolicy{TargetCPUPercent: ptr[int32](60)}}
	queue := v1alpha1.PolicySpec{Type: v1alpha1.PolicyQueueDepth}
	cases := []struct {
		name    string
		current int32
		busy    int32
		want    int32
		limit   string
	}{
		{name: "queue would shrink: held", current: 6, busy: 2, want: 6, limit: v1alpha1.ReasonStaleDataHold},
		{name: "queue grows: allowed", current: 2, busy: 2, want: 2, limit: v1alpha1.ReasonDesiredWithinRange},
		{name: "queue grows past current", current: 2, busy: 5, want: 4, limit: v1alpha1.ReasonScaleUpLimit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := makeInput(tc.current, 10).busy(tc.busy).obj()
			in.Spec.Policies = []v1alpha1.PolicySpec{queue, cpu}
			in.Spec.Behavior.ScaleUp = scaling(0, "", pods(2, 60))
			got := Decide(in)
			if got.Desired != tc.want || got.Limit != tc.limit {
				t.Errorf("Desired, Limit = %d, %s; want %d, %s (%s)", got.Desired, got.Limit, tc.want, tc.limit, got.Message)
			}
		})
	}
}

// TestDecideUnsatisfiableLimit: when nothing else held the size back, the condition says
// that some jobs are ignored.
func TestDecideUnsatisfiableLimit(t *testing.T) {
	d := Decide(makeInput(4, 10).alloc(0, 1, 2, 3).pending(12).obj())
	if d.Desired != 4 || d.Limit != v1alpha1.ReasonUnsatisfiableIgnored ||
		!strings.Contains(d.Message, "1 pending jobs ask for more than the max size 10") {
		t.Errorf("Desired %d, Limit %s, Message %q; want 4, UnsatisfiableJobsIgnored", d.Desired, d.Limit, d.Message)
	}
	if diff := cmp.Diff([]string{"J1"}, d.Unsatisfiable); diff != "" {
		t.Errorf("Unsatisfiable (-want +got):\n%s", diff)
	}
}

// TestDecideProblems: spec errors CEL cannot catch are reported and skipped, not fatal.
func TestDecideProblems(t *testing.T) {
	in := makeInput(2, 10).alloc(0).obj()
	in.Spec.Policies = []v1alpha1.PolicySpec{
		{Type: v1alpha1.PolicyQueueDepth},
		{Type: v1alpha1.PolicySchedule, Schedule: []v1alpha1.ScheduleWindow{
			{Cron: "0 25 * * *", DurationMinutes: 60, MinSize: 8},
			{Cron: "0 8 * * *", TimeZone: "Mars/Olympus", DurationMinutes: 60, MinSize: 8},
		}},
		{Type: "Magic"},
	}
	got := Decide(in)
	if got.Desired != 1 {
		t.Errorf("Desired = %d, want 1 (the queue's)", got.Desired)
	}
	if len(got.Problems) != 3 {
		t.Fatalf("Problems = %q, want 3", got.Problems)
	}
	for i, want := range []string{`cron "0 25 * * *"`, `timeZone "Mars/Olympus"`, "policy Magic is unknown"} {
		if !strings.Contains(got.Problems[i], want) {
			t.Errorf("Problems[%d] = %q, want it to name %s", i, got.Problems[i], want)
		}
	}
}
