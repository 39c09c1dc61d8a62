package autoscaler

import (
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// removedRanks are the owned ranks a shrink took away whose old Flux brokers may still be
// connected (their pods terminating). The policy keeps them drained even when the size grows
// back over them: undrained, Flux would start jobs on a broker whose pod is going away.
//
// It is derived again on every pass rather than only recorded at the shrink, so a
// controller that crashed between the shrink and its status write still finds them: an
// owned rank at or above the current size is one a shrink removed. A rank leaves the set
// once fresh Flux state shows its broker offline (or no longer lists it); without fresh
// state nothing leaves.
func removedRanks(prev, owned flux.RankSet, current int32, reading fluxReading) flux.RankSet {
	var st *flux.State
	if reading.fresh && reading.state != nil && reading.state.PerRank {
		st = reading.state
	}
	var out flux.RankSet
	for _, r := range owned {
		if !prev.Contains(r) && r < current {
			continue
		}
		if st != nil && !online(st, r) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// online reports whether Flux lists rank r with its broker up.
func online(st *flux.State, r int32) bool {
	for _, rk := range st.Ranks {
		if rk.Rank == r {
			return rk.Online
		}
	}
	return false
}
