package replay

import (
	"fmt"
	"slices"
	"time"
)

// The clairvoyant bounds --baselines knows.
const (
	// BoundClairvoyant may power any node off and on, knowing the future: each rank is on
	// while static-max's schedule keeps it busy, plus the node start delay before each busy
	// stretch, with gaps shorter than that delay bridged (cheaper than a restart).
	BoundClairvoyant = "clairvoyant"
	// BoundTopOnly is what an Indexed Job allows, knowing the future and with no boot cost:
	// the size is the highest busy rank + 1 at every instant (at least minSize).
	BoundTopOnly = "clairvoyant-top-only"
)

// BoundOptions are what the bounds need besides the schedule.
type BoundOptions struct {
	NodeUpDelay time.Duration
	MinSize     int32
	// LowerBound is the busy node-hours, for the ratio.
	LowerBound float64
}

// Bounds computes the named bounds from the static-max replay among results (jobs on the
// lowest free ranks of a cluster always at its max). They keep static-max's waits, since
// they change only when nodes are on, never when jobs start.
func Bounds(results []Result, names []string, o BoundOptions) ([]Summary, error) {
	i := slices.IndexFunc(results, func(r Result) bool { return r.Name == "static-max" })
	if i < 0 {
		return nil, fmt.Errorf("the clairvoyant bounds are computed from the static-max replay, and there is none")
	}
	base := Summarize(results[i], o.LowerBound)
	busy := busyIntervals(results[i])
	var out []Summary
	for _, name := range names {
		s := base
		s.Policy, s.Bound, s.ScaleActions, s.Drains, s.Decisions = name, true, 0, 0, 0
		var idle IdleHours
		switch name {
		case BoundClairvoyant:
			idle = clairvoyant(busy, o.NodeUpDelay, o.MinSize, results[i].Start, results[i].End)
		case BoundTopOnly:
			idle = topOnly(busy, o.MinSize, results[i].Start, results[i].End)
		default:
			return nil, fmt.Errorf("bound %q is not known: use %s or %s", name, BoundClairvoyant, BoundTopOnly)
		}
		s.Idle = idle
		s.NodeHours = s.BusyNodeHours + idle.Booting + idle.BelowBusy + idle.Releasable
		s.Utilization, s.LowerBoundRatio = 0, 0
		if s.NodeHours > 0 {
			s.Utilization = s.BusyNodeHours / s.NodeHours
		}
		if o.LowerBound > 0 {
			s.LowerBoundRatio = s.NodeHours / o.LowerBound
		}
		out = append(out, s)
	}
	return out, nil
}

// interval is a half-open busy stretch [from, to) of one rank, in seconds from the start.
type interval struct{ from, to float64 }

// busyIntervals are each rank's busy stretches in r, sorted by start.
func busyIntervals(r Result) map[int32][]interval {
	out := map[int32][]interval{}
	for _, rec := range r.Records {
		if rec.Start.IsZero() || rec.End.IsZero() {
			continue
		}
		iv := interval{rec.Start.Sub(r.Start).Seconds(), rec.End.Sub(r.Start).Seconds()}
		for _, rank := range rec.Ranks {
			out[rank] = append(out[rank], iv)
		}
	}
	for _, ivs := range out {
		slices.SortFunc(ivs, func(a, b interval) int { return compareFloat(a.from, b.from) })
	}
	return out
}

// clairvoyant is the idle time of BoundClairvoyant: per rank, the boot before each busy
// stretch and the bridged gaps; ranks below minSize stay on throughout.
func clairvoyant(busy map[int32][]interval, delay time.Duration, minSize int32, start, end time.Time) IdleHours {
	d := delay.Seconds()
	span := end.Sub(start).Seconds()
	var idle IdleHours
	for rank, ivs := range busy {
		if rank < minSize {
			continue
		}
		on := false
		var last float64
		for _, iv := range ivs {
			switch {
			case !on:
				idle.Booting += d
			case iv.from-last < d:
				idle.Releasable += max(iv.from-last, 0)
			default:
				idle.Booting += d
			}
			on, last = true, max(last, iv.to)
		}
	}
	for rank := range minSize {
		var b float64
		for _, iv := range busy[rank] {
			b += iv.to - iv.from
		}
		idle.Releasable += span - b
	}
	idle.Booting /= 3600
	idle.Releasable /= 3600
	return idle
}

// topOnly is the idle time of BoundTopOnly: every idle rank below the highest busy one
// (and the idle ranks below minSize).
func topOnly(busy map[int32][]interval, minSize int32, start, end time.Time) IdleHours {
	type edge struct {
		at   float64
		rank int32
		d    int
	}
	var edges []edge
	var busyTime float64
	for rank, ivs := range busy {
		for _, iv := range ivs {
			edges = append(edges, edge{iv.from, rank, 1}, edge{iv.to, rank, -1})
			busyTime += iv.to - iv.from
		}
	}
	// Ends before starts at one instant: a rank handed from one job to the next is busy
	// throughout, and the size never rises for a moment of zero length.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := compareFloat(a.at, b.at); c != 0 {
			return c
		}
		return a.d - b.d
	})
	count := map[int32]int{}
	top := int32(-1)
	var area, prev float64
	for _, e := range edges {
		area += float64(max(top+1, minSize)) * (e.at - prev)
		prev = e.at
		count[e.rank] += e.d
		if e.d > 0 && e.rank > top {
			top = e.rank
		}
		for top >= 0 && count[top] == 0 {
			top--
		}
	}
	area += float64(minSize) * (end.Sub(start).Seconds() - prev)
	return IdleHours{BelowBusy: (area - busyTime) / 3600}
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
