package policy

import (
	"slices"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// planShrink is step 10: it turns the size into Desired, Scale and the drain actions.
// Kubernetes removes an Indexed Job's highest indexes, so shrinking to size drops ranks
// [size, Current).
func (d *decider) planShrink(size int32) {
	d.out.Desired = size
	c := d.current
	switch {
	case size > c:
		d.out.Scale = true
		d.undrainBelow(size)
	case size == c && !d.stale:
		// Demand came back before the drain finished: give the ranks back, but keep (or
		// start) the early drain above what the policies want now.
		if from := d.earlyDrainFrom(size); from < c {
			d.drainRange(from, c)
			d.undrainBelow(from)
			break
		}
		d.undrainBelow(size)
	case size < c && !d.stale:
		switch d.s.mode {
		case v1alpha1.ScaleDownNever:
			d.hold(v1alpha1.ReasonScaleDownNever, "scaleDown.mode Never: not shrinking below %d")
			d.undrainBelow(c)
		case v1alpha1.ScaleDownImmediate:
			d.out.Scale = true
			d.out.BusyRanksRemoved = d.busyAmong(size, c)
			d.undrainBelow(size)
		default:
			d.drainThenShrink(size)
		}
	}
	if d.out.DrainReason == "" {
		d.out.DrainReason = d.drainState()
	}
}

// drainThenShrink plans a Drain-mode shrink: drain the ranks to drop, and shrink as far as
// the top ranks are drained and idle, all the way once every one of them is. A rank Flux
// does not list has no resources in Flux, so nothing can run there and it needs no drain.
func (d *decider) drainThenShrink(size int32) {
	c := d.current
	if d.flux == nil || d.flux.Ranks == nil {
		d.hold(v1alpha1.ReasonPerRankUnknown, "the Flux source gives no per-rank state, so "+
			"Drain mode cannot tell idle ranks: not shrinking below %d "+
			"(use scaleDown.mode Immediate, or the Exec or Agent source)")
		d.undrainBelow(d.out.Desired)
		return
	}
	var notDrained, busy int32
	ready := true
	for _, st := range d.flux.Ranks {
		if st.Rank < size || st.Rank >= c {
			continue
		}
		if !st.Drained {
			notDrained++
			ready = false
		}
		if st.Allocated {
			busy++
			ready = false
		}
	}
	from := d.earlyDrainFrom(size)
	d.drainRange(from, c)
	d.undrainBelow(from)
	if ready {
		d.out.Scale = true
		d.out.DrainReason = v1alpha1.ReasonDrainComplete
		return
	}
	if d.drainTimedOut(size) {
		d.out.Drain = nil
		d.out.Undrain = d.out.Undrain[:0]
		d.undrainBelow(c)
		d.hold(v1alpha1.ReasonDrainTimedOut, "the drain took longer than "+
			"scaleDown.drainTimeoutSeconds: ranks given back, staying at %d")
		d.out.DrainReason = v1alpha1.ReasonDrainTimedOut
		return
	}
	d.out.DrainReason = v1alpha1.ReasonDrainInProgress
	if part := d.idleTop(size); part < c && part <= d.s.hi {
		// The top ranks are drained and idle while a job still runs lower down: give them
		// back now rather than keep them until every rank down to size is idle (a target
		// above its max waits for the whole shrink, as Desired never exceeds the max). On the
		// 512-node lublin_256 replay such ranks were most of the node-hours spent above
		// the highest busy rank.
		d.out.Desired, d.out.Scale = part, true
		d.steps.limited(v1alpha1.ReasonWaitingForDrain,
			"shrinking to %d now (ranks above are drained and idle) and to %d once ranks %d-%d are (%d to drain, %d running jobs)",
			part, size, size, part-1, notDrained, busy)
		return
	}
	d.steps.limited(v1alpha1.ReasonWaitingForDrain,
		"shrinking to %d once ranks %d-%d are drained and idle (%d to drain, %d running jobs)",
		size, size, c-1, notDrained, busy)
}

// idleTop is the lowest size >= size that only drops ranks that are drained and idle (or
// that Flux does not list, which hold no resources): Current when the top rank is busy or
// not drained.
func (d *decider) idleTop(size int32) int32 {
	c := d.current
	ready := make([]bool, max(c-size, 0))
	for i := range ready {
		ready[i] = true
	}
	for _, st := range d.flux.Ranks {
		if st.Rank >= size && st.Rank < c && (!st.Drained || st.Allocated) {
			ready[st.Rank-size] = false
		}
	}
	part := c
	for part > size && ready[part-1-size] {
		part--
	}
	return part
}

// earlyDrainFrom is the lowest rank to drain in Drain mode: size, or what the policies want
// now when that is lower. Jobs land on the lowest free ranks, so while the scale-down
// window keeps the size up, a job that starts on a rank the window is about to give back
// holds it (and every rank below it) for its whole run: on a 512-node replay of
// lublin_256 that was most of the non-busy node-hours. Draining the ranks above the
// wanted size at once keeps new jobs below it; the ranks stay (the window still holds
// the size), and demand that comes back gets them undrained on the next decision.
func (d *decider) earlyDrainFrom(size int32) int32 {
	if d.s.mode != v1alpha1.ScaleDownDrain || d.flux == nil || d.flux.Ranks == nil {
		return size
	}
	return min(size, max(d.wanted, d.s.lo))
}

// drainRange drains the ranks in [from, to) Flux lists and has not drained.
func (d *decider) drainRange(from, to int32) {
	for _, st := range d.flux.Ranks {
		if st.Rank >= from && st.Rank < to && !st.Drained {
			d.out.Drain = append(d.out.Drain, st.Rank)
		}
	}
}

// drainTimedOut is true when a drain we own among the ranks to drop has run longer than
// scaleDown.drainTimeoutSeconds.
func (d *decider) drainTimedOut(size int32) bool {
	if d.s.drainTimeout <= 0 || d.in.DrainStarted.IsZero() ||
		d.in.Now.Sub(d.in.DrainStarted) <= d.s.drainTimeout {
		return false
	}
	for _, r := range d.in.Draining {
		if r >= size && r < d.current {
			return true
		}
	}
	return false
}

// hold keeps the target as it is (or at the max, when Current is above it) for reason;
// format has one %d for the held size.
func (d *decider) hold(reason, format string) {
	d.out.Desired = max(d.out.Desired, min(d.current, d.s.hi))
	d.out.Scale = false
	d.steps.limited(reason, format, d.out.Desired)
}

// undrainBelow gives back the ranks we drained that the size below limit needs, except
// those a shrink removed whose old brokers are not yet gone (Input.Removed).
func (d *decider) undrainBelow(limit int32) {
	for _, r := range d.in.Draining {
		if r >= 0 && r < limit && !slices.Contains(d.in.Removed, r) {
			d.out.Undrain = append(d.out.Undrain, r)
		}
	}
}

// busyAmong counts allocated ranks in [from, to): the jobs an Immediate shrink kills.
// Without per-rank state it is the worst case, min(allocated nodes, ranks dropped).
func (d *decider) busyAmong(from, to int32) int32 {
	if d.flux == nil {
		return 0
	}
	if d.flux.Ranks == nil {
		return min(max(d.flux.Nodes.Allocated, 0), to-from)
	}
	var n int32
	for _, st := range d.flux.Ranks {
		if st.Rank >= from && st.Rank < to && st.Allocated {
			n++
		}
	}
	return n
}

// drainState is the Draining condition reason when no shrink step set one.
func (d *decider) drainState() string {
	if len(d.out.Undrain) > 0 {
		return v1alpha1.ReasonDrainCanceled
	}
	for _, r := range d.in.Draining {
		if r >= 0 && r < d.current {
			return v1alpha1.ReasonDrainInProgress
		}
	}
	return v1alpha1.ReasonNotDraining
}
