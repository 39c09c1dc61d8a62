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
		// Demand came back before the drain finished: give the ranks back.
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

// drainThenShrink plans a Drain-mode shrink: drain the ranks to drop, shrink once every one
// of them is drained and idle. A rank Flux does not list has no resources in Flux, so
// nothing can run there and it needs no drain.
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
			d.out.Drain = append(d.out.Drain, st.Rank)
		}
		if st.Allocated {
			busy++
			ready = false
		}
	}
	d.undrainBelow(size)
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
	d.steps.limited(v1alpha1.ReasonWaitingForDrain,
		"shrinking to %d once ranks %d-%d are drained and idle (%d to drain, %d running jobs)",
		size, size, c-1, notDrained, busy)
	d.out.DrainReason = v1alpha1.ReasonDrainInProgress
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
