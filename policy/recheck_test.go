package policy

import (
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

func TestDecideRecheckAt(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	cases := map[string]struct {
		in   Input
		want time.Time
	}{
		"nothing time-based pending": {
			in:   makeInput(4, 10).alloc(0, 1, 2, 3).obj(),
			want: time.Time{},
		},
		// Idle now, but 6 was recommended 100 s and 40 s ago within a 300 s window: the hold
		// can end only when the newer 6 leaves the window, at -40 s + 300 s.
		"scale-down stabilized: when the newest highest recommendation leaves the window": {
			in: func() Input {
				in := makeInput(6, 10).behavior(&v1alpha1.ScalingBehavior{ScaleDown: scaling(300, "")}).obj()
				in.History.Recommendations = []TimedSize{
					{Time: at(-200 * time.Second), Size: 3},
					{Time: at(-100 * time.Second), Size: 6},
					{Time: at(-40 * time.Second), Size: 6},
				}
				return in
			}(),
			want: at(260 * time.Second),
		},
		// +2 per 60 s, and 2 were added 20 s ago: more may be added at -20 s + 60 s.
		"scale-up rate-limited: when the period's oldest scale event leaves it": {
			in: func() Input {
				in := makeInput(4, 10).alloc(0, 1, 2, 3).pending(4).
					behavior(&v1alpha1.ScalingBehavior{ScaleUp: scaling(0, "", pods(2, 60))}).obj()
				in.History.ScaleEvents = []ScaleEvent{
					{Time: at(-90 * time.Second), From: 1, To: 2},
					{Time: at(-20 * time.Second), From: 2, To: 4},
				}
				return in
			}(),
			want: at(40 * time.Second),
		},
		"the earliest hint expiry": {
			in: makeInput(2, 10).hint("a", 4, v1alpha1.HintFloor, 10*time.Minute).
				hint("b", 3, v1alpha1.HintFloor, 90*time.Second).obj(),
			want: at(90 * time.Second),
		},
		"stale data: when the fallback delay runs out": {
			in:   makeInput(2, 10).stale(at(-60 * time.Second)).obj(),
			want: at(120 * time.Second),
		},
		"a drain within its timeout: just after the timeout": {
			in: func() Input {
				in := makeInput(6, 10).alloc(5).drained(4, 5).mode(v1alpha1.ScaleDownDrain).
					draining(at(-30*time.Second), 4, 5).obj()
				in.Spec.ScaleDown.DrainTimeoutSeconds = 60
				return in
			}(),
			want: at(31 * time.Second),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Decide(tc.in)
			if !got.RecheckAt.Equal(tc.want) {
				t.Errorf("RecheckAt = %v, want %v (limit %s: %s)", got.RecheckAt, tc.want, got.Limit, got.Message)
			}
		})
	}
}

// TestRecheckAtEndsTheHold checks the promise behind RecheckAt: deciding again at that
// moment, with nothing else changed, gives a different size than the held one.
func TestRecheckAtEndsTheHold(t *testing.T) {
	in := makeInput(6, 10).behavior(&v1alpha1.ScalingBehavior{ScaleDown: scaling(300, "")}).obj()
	in.History.Recommendations = []TimedSize{{Time: t0.Add(-100 * time.Second), Size: 6}}
	held := Decide(in)
	if held.Desired != 6 || held.RecheckAt.IsZero() {
		t.Fatalf("want a hold at 6 with a recheck, got desired %d recheck %v (%s)", held.Desired, held.RecheckAt, held.Message)
	}
	in.Now = held.RecheckAt
	in.History = held.History
	in.FluxLastGood = in.Now
	if next := Decide(in); next.Desired >= 6 {
		t.Errorf("deciding again at RecheckAt %v still holds at %d: %s", held.RecheckAt, next.Desired, next.Message)
	}
}
