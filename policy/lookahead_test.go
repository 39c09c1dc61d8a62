package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// limited gives pending job i (0-based) a time limit.
func (w *inputWrapper) limited(i int, d time.Duration) *inputWrapper {
	w.in.Flux.Pending[i].Duration = d
	return w
}

// expiring sets when the jobs on ranks end at the latest.
func (w *inputWrapper) expiring(at time.Time, ranks ...int32) *inputWrapper {
	for _, r := range ranks {
		w.in.Flux.Ranks[r].Expires = at
	}
	return w
}

// A 12-rank cluster at 8 ranks, 0-5 busy: J1 needs 8 nodes and only 6 of the max are
// free; J2 (1 node, 10 min) and J3 (2 nodes, no time limit) could backfill.
func blockedHead() *inputWrapper {
	return makeInput(8, 12).alloc(0, 1, 2, 3, 4, 5).pending(8, 1, 2).limited(0, time.Hour).limited(1, 10*time.Minute)
}

func TestQueueDepthPlansWithTimeLimits(t *testing.T) {
	cases := []struct {
		name       string
		in         Input
		want       int32
		wantReason string
	}{{
		name: "no running job has a limit: every pending job is demand, as before",
		in:   blockedHead().obj(),
		want: 17, wantReason: "6 busy + 11 pending nodes (job sizes)",
	}, {
		// At 13:00 the 6 busy nodes are free: 12 nodes, 4 more than J1 needs, so J3 (no
		// limit) may run on 2 of them; J2 ends before. At 13:00 J3 and J1 need 10.
		name: "the head job can start in an hour: the backfill jobs and what the head job needs then",
		in:   blockedHead().expiring(t0.Add(time.Hour), 0, 1, 2, 3, 4, 5).obj(),
		want: 10, wantReason: "6 busy + 4 pending nodes (the jobs EASY would start by the head job's start); " +
			"head job J1 (8 nodes) can start at 2026-11-02T13:00:00Z at the earliest",
	}, {
		// Only ranks 0-1 expire: at 13:00 8 nodes are free, none to spare, so J3 may not
		// start; J1 then needs every node the others leave, and they are kept for it.
		name: "the head job's nodes are kept until its start",
		in:   blockedHead().expiring(t0.Add(time.Hour), 0, 1).obj(),
		want: 12, wantReason: "6 busy + 6 pending nodes",
	}, {
		name: "every job fits: all are demand",
		in:   makeInput(8, 32).alloc(0, 1, 2, 3, 4, 5).expiring(t0.Add(time.Hour), 0, 1).pending(8, 1, 2).obj(),
		want: 17, wantReason: "6 busy + 11 pending nodes (job sizes)",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in)
			if len(d.Recommendations) != 1 {
				t.Fatalf("recommendations %+v, want one", d.Recommendations)
			}
			r := d.Recommendations[0]
			if r.Size != tc.want || !strings.Contains(r.Reason, tc.wantReason) {
				t.Errorf("QueueDepth %d (%q), want %d with %q", r.Size, r.Reason, tc.want, tc.wantReason)
			}
		})
	}
}

// At its max size with the head job an hour away, the idle top ranks the head job will not
// need are given back; no busy rank goes, and without the limits the size stays.
func TestBlockedHeadJobGivesBackIdleTopRanks(t *testing.T) {
	in := makeInput(12, 12).alloc(0, 1, 2, 3, 4, 5).expiring(t0.Add(time.Hour), 0, 1, 2, 3, 4, 5).pending(8).obj()
	d := Decide(in)
	if d.Desired != 8 || !d.Scale || d.BusyRanksRemoved != 0 {
		t.Errorf("Desired %d, Scale %v, busy ranks removed %d; want 8, true, 0 (%s)", d.Desired, d.Scale, d.BusyRanksRemoved, d.Message)
	}
	in = makeInput(12, 12).alloc(0, 1, 2, 3, 4, 5).pending(8).obj()
	if d := Decide(in); d.Desired != 12 || d.Scale {
		t.Errorf("without limits: Desired %d, Scale %v; want 12, false", d.Desired, d.Scale)
	}
}

// In Drain mode with the default window the size stays while the window holds it, but
// the idle ranks above what QueueDepth wants are drained at once, so no job lands there.
func TestBlockedHeadJobDrainsTheRanksItDoesNotNeed(t *testing.T) {
	in := makeInput(12, 12).alloc(0, 1, 2, 3, 4, 5).expiring(t0.Add(time.Hour), 0, 1, 2, 3, 4, 5).pending(8).
		mode(v1alpha1.ScaleDownDrain).behavior(&v1alpha1.ScalingBehavior{}).obj()
	in.History.Recommendations = []TimedSize{{Time: t0.Add(-time.Minute), Size: 12}}
	d := Decide(in)
	if diff := cmp.Diff([]int32{8, 9, 10, 11}, d.Drain); d.Desired != 12 || d.Scale || diff != "" {
		t.Errorf("Desired %d, Scale %v; want 12, false (%s); drain (-want +got):\n%s", d.Desired, d.Scale, d.Message, diff)
	}
}

// A head job that cannot start even at the max size is held back by the max size, though
// QueueDepth planned within it: ScalingLimited says so, naming the job, as the clamp does
// for a larger recommendation; below the target's own max the reason is TargetMaxSize.
func TestBlockedHeadJobReportsTheMaxSizeAsTheLimit(t *testing.T) {
	d := Decide(blockedHead().expiring(t0.Add(time.Hour), 0, 1).obj())
	if d.Limit != v1alpha1.ReasonTooManyReplicas || !strings.Contains(d.Message, "head job J1 (8 nodes) cannot start within the max size 12") {
		t.Errorf("limit %s (%s), want %s naming J1", d.Limit, d.Message, v1alpha1.ReasonTooManyReplicas)
	}
	in := blockedHead().expiring(t0.Add(time.Hour), 0, 1).obj()
	in.Spec.MaxSize, in.TargetMax = 20, 12
	if d := Decide(in); d.Limit != v1alpha1.ReasonTargetMaxSize {
		t.Errorf("limit %s (%s), want %s", d.Limit, d.Message, v1alpha1.ReasonTargetMaxSize)
	}
	if d := Decide(makeInput(8, 32).alloc(0, 1).pending(2).obj()); d.Limit != v1alpha1.ReasonDesiredWithinRange {
		t.Errorf("every job fits: limit %s (%s), want %s", d.Limit, d.Message, v1alpha1.ReasonDesiredWithinRange)
	}
}
