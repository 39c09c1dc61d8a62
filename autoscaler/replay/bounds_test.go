package replay

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// TestBoundsOnAHandMadeSchedule checks both bounds on a static-max schedule small enough to
// work out by hand (node start delay 60 s, minSize 1):
//
//	rank 0: busy 0-100 s
//	rank 1: busy 0-100 s and 130-200 s (a 30 s gap: bridged)
//	rank 3: busy 500-600 s (rank 2 never busy)
func TestBoundsOnAHandMadeSchedule(t *testing.T) {
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	rec := func(id uint64, start, end int, ranks ...int32) simulated.JobRecord {
		return simulated.JobRecord{Job: simulated.Job{ID: id, Submit: at(0), NNodes: int32(len(ranks))},
			Outcome: simulated.OutcomeFinished, Start: at(start), End: at(end), Ranks: ranks}
	}
	static := Result{Name: "static-max", Start: at(0), End: at(1000), Records: []simulated.JobRecord{
		rec(1, 0, 100, 0, 1), rec(2, 130, 200, 1), rec(3, 500, 600, 3),
	}, Stats: simulated.Stats{Finished: 3, BusyNodeSeconds: 370}}
	busy := (200 + 70 + 100) / 3600.0
	rows, err := Bounds([]Result{static}, []string{BoundClairvoyant, BoundTopOnly}, BoundOptions{NodeUpDelay: time.Minute, MinSize: 1, LowerBound: busy})
	if err != nil {
		t.Fatal(err)
	}
	// clairvoyant: rank 0 on throughout (minSize): 900 s idle; rank 1 one boot and the 30 s
	// gap; rank 3 one boot.
	wantC := IdleHours{Booting: 120 / 3600.0, Releasable: (900 + 30) / 3600.0}
	// top-only: size 2 while rank 1 is busy, 4 while rank 3 is, 1 (minSize) otherwise.
	// Area: 2*100 + 1*30 + 2*70 + 1*300 + 4*100 + 1*400 = 1470; busy 370.
	wantT := IdleHours{BelowBusy: (1470 - 370) / 3600.0}
	for i, want := range []IdleHours{wantC, wantT} {
		if diff := cmp.Diff(want, rows[i].Idle, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); diff != "" {
			t.Errorf("%s idle (-want +got):\n%s", rows[i].Policy, diff)
		}
		// Waits 0, 130 and 500 s, as static-max had them.
		if !rows[i].Bound || rows[i].MeanWait != 210 || rows[i].Finished != 3 {
			t.Errorf("%s: bound %v, mean wait %v, %d finished; want a bound row with static-max's mean wait 210 s, 3 finished",
				rows[i].Policy, rows[i].Bound, rows[i].MeanWait, rows[i].Finished)
		}
	}
	if got := rows[1].LowerBoundRatio; math.Abs(got-1470.0/370) > 1e-9 {
		t.Errorf("top-only ratio %v, want %v", got, 1470.0/370)
	}
	if _, err := Bounds([]Result{{Name: "hpa"}}, []string{BoundTopOnly}, BoundOptions{}); err == nil {
		t.Errorf("Bounds without a static-max replay: no error")
	}
}
