package autoscaler

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

func TestRemovedRanks(t *testing.T) {
	// Ranks 0-3 listed; 0-2 online, 3 offline.
	state := &flux.State{PerRank: true, Ranks: []flux.Rank{
		{Rank: 0, Online: true}, {Rank: 1, Online: true}, {Rank: 2, Online: true}, {Rank: 3},
	}}
	fresh := fluxReading{state: state, fresh: true}
	stale := fluxReading{state: state}
	cases := map[string]struct {
		prev, owned flux.RankSet
		current     int32
		reading     fluxReading
		want        flux.RankSet
	}{
		"shrunk to 1: owned 1-3 above the size, 3 already offline": {
			owned: flux.NewRankSet(1, 2, 3), current: 1, reading: fresh, want: flux.NewRankSet(1, 2),
		},
		"grown back to 3 while old brokers 1-2 are still up: kept": {
			prev: flux.NewRankSet(1, 2), owned: flux.NewRankSet(1, 2, 3), current: 3, reading: fresh,
			want: flux.NewRankSet(1, 2),
		},
		"an owned rank inside the size that no shrink removed is not added": {
			owned: flux.NewRankSet(1), current: 3, reading: fresh,
		},
		"stale Flux state: nothing leaves": {
			owned: flux.NewRankSet(1, 2, 3), current: 1, reading: stale, want: flux.NewRankSet(1, 2, 3),
		},
		"no longer owned (undrained): dropped": {
			prev: flux.NewRankSet(1, 2), owned: flux.NewRankSet(2), current: 3, reading: fresh,
			want: flux.NewRankSet(2),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := removedRanks(tc.prev, tc.owned, tc.current, tc.reading)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("removedRanks (-want +got):\n%s", diff)
			}
		})
	}
}
