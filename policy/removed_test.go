package policy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// After a shrink 4 -> 2, ranks 2-3 are drained and owned, and their old pods may still be
// terminating with their brokers connected. Growing back to 4 must not undrain a rank
// whose old broker is still there (Removed), or Flux starts jobs that die with the pod.
func TestGrowthKeepsRemovedRanksDrained(t *testing.T) {
	grow := func(removed ...int32) Input {
		in := makeInput(2, 10).ranks(4, 4).alloc(0, 1).drained(2, 3).pending(2).
			mode(v1alpha1.ScaleDownDrain).draining(t0.Add(-time.Minute), 2, 3).obj()
		in.Removed = removed
		return in
	}
	cases := map[string]struct {
		in          Input
		wantDesired int32
		wantUndrain []int32
	}{
		"both old brokers still up: grow, undrain neither":  {in: grow(2, 3), wantDesired: 4},
		"rank 3's old broker went offline: undrain it only": {in: grow(2), wantDesired: 4, wantUndrain: []int32{3}},
		"both gone: undrain both":                           {in: grow(), wantDesired: 4, wantUndrain: []int32{2, 3}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := Decide(tc.in)
			if d.Desired != tc.wantDesired || !d.Scale {
				t.Errorf("Desired %d Scale %v, want %d and a scale: %s", d.Desired, d.Scale, tc.wantDesired, d.Message)
			}
			if diff := cmp.Diff(tc.wantUndrain, d.Undrain); diff != "" {
				t.Errorf("Undrain (-want +got):\n%s", diff)
			}
		})
	}
}
