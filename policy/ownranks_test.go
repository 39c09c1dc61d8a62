package policy

import (
	"strings"
	"testing"
	"time"
)

// An 8-rank cluster with a max of 32, every rank busy: J1 (6 nodes, 1 h limit) either
// waits for the ranks the target has or grows it to 14.
func TestQueueDepthWaitsForOwnRanksRatherThanGrow(t *testing.T) {
	full := func() *inputWrapper {
		return makeInput(8, 32).alloc(0, 1, 2, 3, 4, 5, 6, 7)
	}
	const waits = "1 pending jobs wait for running jobs on the ranks the target has"
	cases := []struct {
		name       string
		in         Input
		want       int32
		wantReason string
	}{{
		name: "six ranks free in 15 min, a quarter of its limit: it waits",
		in:   full().expiring(t0.Add(15*time.Minute), 0, 1, 2, 3, 4, 5).pending(6).limited(0, time.Hour).obj(),
		want: 8, wantReason: waits,
	}, {
		name: "they free later than a quarter of its limit: it grows",
		in:   full().expiring(t0.Add(16*time.Minute), 0, 1, 2, 3, 4, 5).pending(6).limited(0, time.Hour).obj(),
		want: 14, wantReason: "8 busy + 6 pending nodes (job sizes)",
	}, {
		name: "only five free in time: it grows",
		in:   full().expiring(t0.Add(10*time.Minute), 0, 1, 2, 3, 4).pending(6).limited(0, time.Hour).obj(),
		want: 14,
	}, {
		name: "no time limit of its own: it grows",
		in:   full().expiring(t0.Add(10*time.Minute), 0, 1, 2, 3, 4, 5).pending(6).obj(),
		want: 14,
	}, {
		name: "a growth of 4 nodes is left alone",
		in:   full().expiring(t0.Add(10*time.Minute), 0, 1, 2, 3, 4, 5).pending(4).limited(0, time.Hour).obj(),
		want: 12,
	}, {
		// Ranks 6-7 are free: J1 takes them and 6 of the ranks that free, so only the
		// free ones are demand.
		name: "free ranks first, then the busy ones as they free",
		in: makeInput(8, 32).alloc(0, 1, 2, 3, 4, 5).expiring(t0.Add(10*time.Minute), 0, 1, 2, 3, 4, 5).
			pending(8).limited(0, time.Hour).obj(),
		want: 8, wantReason: waits,
	}, {
		// J1 waits for ranks 0-5; J2 cannot count on them, so it grows the target.
		name: "a job behind it does not get the ranks it waits for",
		in: full().expiring(t0.Add(10*time.Minute), 0, 1, 2, 3, 4, 5).pending(6, 6).
			limited(0, time.Hour).limited(1, time.Hour).obj(),
		want: 14, wantReason: waits,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Decide(tc.in).Recommendations[0]
			if r.Size != tc.want || !strings.Contains(r.Reason, tc.wantReason) {
				t.Errorf("QueueDepth %d (%q), want %d with %q", r.Size, r.Reason, tc.want, tc.wantReason)
			}
		})
	}
}

// A busy rank someone else drained takes no job when it frees, so J1 cannot count on it;
// one the controller drained is undrained once the size needs it, unless a shrink
// removed it.
func TestQueueDepthCountsOnlyDrainsItOwns(t *testing.T) {
	in := func() Input {
		return makeInput(8, 32).alloc(0, 1, 2, 3, 4, 5, 6, 7).drained(5).
			expiring(t0.Add(10*time.Minute), 0, 1, 2, 3, 4, 5).pending(6).limited(0, time.Hour).obj()
	}
	cases := []struct {
		name              string
		draining, removed []int32
		want              int32
	}{
		{name: "drained by someone else", want: 14},
		{name: "drained by the controller", draining: []int32{5}, want: 8},
		{name: "drained by the controller, removed by a shrink", draining: []int32{5}, removed: []int32{5}, want: 14},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			i := in()
			i.Draining, i.Removed = tc.draining, tc.removed
			if r := Decide(i).Recommendations[0]; r.Size != tc.want {
				t.Errorf("QueueDepth %d (%q), want %d", r.Size, r.Reason, tc.want)
			}
		})
	}
}
