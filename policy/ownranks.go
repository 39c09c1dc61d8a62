package policy

import (
	"slices"
	"time"
)

// A pending job that needs more than deferMinNodes nodes beyond the free ranks the target
// has waits for its busy ranks to free rather than grow the target, when their time
// limits free enough within 1/waitShare of the job's own limit.
//
// Why: a job started on grown ranks takes the top ones and, if it outlives the jobs below
// it, holds every rank under it (an Indexed Job drops only its highest indexes). On the
// 512-node lublin_256 replay those ranks were most of the non-busy node-hours; waiting
// for ranks the target already has keeps them lower. The share bounds what it costs the
// job (its bounded slowdown grows by at most a quarter). Small growths are left alone:
// they pin little, and most jobs are small, so deferring them cost most of the added wait
// on that replay (mean wait +30 s deferring every growth, +20 s above 4 nodes, +5 s above
// 8; the node-hours saved fell from 1.3 % to 1.2 % and 0.8 %).
const (
	waitShare     = 4
	deferMinNodes = 4
)

// ownRanks are the ranks below Current a pending job can get without a growth: the free
// ones (idle and not drained, up or still starting) and, as their time limits pass, the
// busy ones. A busy rank drained by someone else takes no new job when it frees; one the
// controller drained does, since the shrink plan undrains it once the size needs it
// (unless a shrink removed it).
type ownRanks struct {
	free int64
	// expiring are the busy ranks by when they free; the first next went to jobs planned
	// to wait for them.
	expiring []expiry
	next     int
}

// expiry is when a busy rank is free at the latest.
type expiry struct {
	at   time.Time
	rank int32
}

func newOwnRanks(f *FluxState, s *signals) ownRanks {
	var o ownRanks
	for i := range f.Ranks {
		r := &f.Ranks[i]
		switch {
		case r.Rank >= s.current:
		case !r.Allocated:
			if !r.Drained {
				o.free++
			}
		case r.Drained && (!slices.Contains(s.owned, r.Rank) || slices.Contains(s.removed, r.Rank)):
		case !r.Expires.IsZero():
			o.expiring = append(o.expiring, expiry{at: r.Expires, rank: r.Rank})
		}
	}
	slices.SortFunc(o.expiring, func(a, b expiry) int { return a.at.Compare(b.at) })
	return o
}

// wait is how long job j, of n nodes, waits for the ranks the target has, when it should
// rather than grow (see waitShare); false when it should not.
func (o *ownRanks) wait(j *PendingJob, n int64, now time.Time) (time.Duration, bool) {
	short := n - o.free
	if short <= deferMinNodes || j.Duration <= 0 {
		return 0, false
	}
	last := o.next + int(short) - 1
	if last >= len(o.expiring) {
		return 0, false
	}
	w := max(o.expiring[last].at.Sub(now), 0)
	return w, w <= j.Duration/waitShare
}

// take gives n nodes to a job that waits for them: the free ranks first, then the busy
// ones in the order they free. It returns the free ranks used.
func (o *ownRanks) take(n int64) int64 {
	used := min(o.free, n)
	o.free -= used
	o.next += int(n - used)
	return used
}

// use gives n nodes to a job that starts now: the free ranks first, a growth the rest.
func (o *ownRanks) use(n int64) {
	o.free = max(o.free-n, 0)
}

// promised are the busy ranks that went to jobs waiting for them.
func (o *ownRanks) promised() []int32 {
	ranks := make([]int32, 0, o.next)
	for _, e := range o.expiring[:o.next] {
		ranks = append(ranks, e.rank)
	}
	return ranks
}
