package policy

import (
	"strings"
	"testing"
	"time"

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

// An 8-rank cluster at its max with ranks 0-5 busy: J1 needs 4 nodes and only 2 are free;
// J2 (1 node, 10 min) could backfill; J3 (2 nodes) has no time limit.
func blockedHead() *inputWrapper {
	return makeInput(8, 8).alloc(0, 1, 2, 3, 4, 5).pending(4, 1, 2).limited(0, time.Hour).limited(1, 10*time.Minute)
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
		want: 13, wantReason: "6 busy + 7 pending nodes (job sizes)",
	}, {
		name: "the head job can start in an hour: only the backfill job is demand",
		in:   blockedHead().expiring(t0.Add(time.Hour), 0, 1).obj(),
		want: 7, wantReason: "head job J1 (4 nodes) can start at 2026-11-02T13:00:00Z at the earliest",
	}, {
		name: "the head job can start in 30 s: its nodes are demand now, the backfill job is not (it would delay it)",
		in:   blockedHead().expiring(t0.Add(30*time.Second), 0, 1).obj(),
		want: 8, wantReason: "6 busy + 2 pending nodes (jobs that can start within 1m10s)",
	}, {
		// J2 would still run at 12:01:30 on one of the 4 nodes J1 needs then.
		name: "90 s is beyond the default delay and poll (70 s)",
		in:   blockedHead().expiring(t0.Add(90*time.Second), 0, 1).obj(),
		want: 6, wantReason: "can start at 2026-11-02T12:01:30Z",
	}, {
		name: "but within a node start delay of 2 minutes",
		in: func() Input {
			in := blockedHead().expiring(t0.Add(90*time.Second), 0, 1).obj()
			in.NodeStartDelay = 2 * time.Minute
			return in
		}(),
		want: 8, wantReason: "within 2m10s",
	}, {
		// 5 busy, 3 free: at 13:00 8 nodes are free, 4 more than J1 needs, so J3 (no
		// limit) can run on 2 of them; J2 ends before 13:00.
		name: "a job without a limit backfills on the nodes the head job leaves over",
		in: makeInput(8, 8).alloc(0, 1, 2, 3, 4).expiring(t0.Add(time.Hour), 0, 1, 2, 3, 4).
			pending(4, 1, 2).limited(0, time.Hour).limited(1, 10*time.Minute).obj(),
		want: 8, wantReason: "5 busy + 3 pending nodes",
	}, {
		// Only ranks 0-1 expire: at 13:00 5 nodes are free, 1 more than J1 needs.
		name: "and not beyond them",
		in: makeInput(8, 8).alloc(0, 1, 2, 3, 4).expiring(t0.Add(time.Hour), 0, 1).
			pending(4, 1, 2).limited(0, time.Hour).limited(1, 10*time.Minute).obj(),
		want: 6, wantReason: "5 busy + 1 pending nodes",
	}, {
		name: "every job fits: all are demand",
		in:   makeInput(8, 16).alloc(0, 1, 2, 3, 4, 5).expiring(t0.Add(time.Hour), 0, 1).pending(4, 1, 2).obj(),
		want: 13, wantReason: "6 busy + 7 pending nodes (job sizes)",
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

// The idle top ranks held for a head job that cannot start for an hour are given back; no
// busy rank goes, and without the limits the cluster stays at its max.
func TestBlockedHeadJobGivesBackIdleTopRanks(t *testing.T) {
	in := makeInput(8, 8).alloc(0, 1, 2, 3, 4, 5).expiring(t0.Add(time.Hour), 0, 1, 2, 3, 4, 5).pending(4).obj()
	d := Decide(in)
	if d.Desired != 6 || !d.Scale || d.BusyRanksRemoved != 0 {
		t.Errorf("Desired %d, Scale %v, busy ranks removed %d; want 6, true, 0 (%s)", d.Desired, d.Scale, d.BusyRanksRemoved, d.Message)
	}
	in = makeInput(8, 8).alloc(0, 1, 2, 3, 4, 5).pending(4).obj()
	if d := Decide(in); d.Desired != 8 || d.Scale {
		t.Errorf("without limits: Desired %d, Scale %v; want 8, false", d.Desired, d.Scale)
	}
}

// In Drain mode with the default window the size stays while the window holds it, but
// the idle ranks above what QueueDepth wants are drained at once, so no job lands there.
func TestBlockedHeadJobDrainsTheRanksItDoesNotNeedYet(t *testing.T) {
	in := makeInput(8, 8).alloc(0, 1, 2, 3, 4, 5).expiring(t0.Add(time.Hour), 0, 1, 2, 3, 4, 5).pending(4).
		mode(v1alpha1.ScaleDownDrain).behavior(&v1alpha1.ScalingBehavior{}).obj()
	in.History.Recommendations = []TimedSize{{Time: t0.Add(-time.Minute), Size: 8}}
	d := Decide(in)
	if d.Desired != 8 || d.Scale || len(d.Drain) != 2 || d.Drain[0] != 6 || d.Drain[1] != 7 {
		t.Errorf("Desired %d, Scale %v, Drain %v; want 8, false, [6 7] (%s)", d.Desired, d.Scale, d.Drain, d.Message)
	}
}
