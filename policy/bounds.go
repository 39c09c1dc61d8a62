package policy

import (
	"fmt"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// applyFallback is step 7. Once Flux state has been missing or stale for
// fallback.afterSeconds (at once if it was never read), Hold keeps the size from shrinking
// (the stale hold already does) and Size raises it to fallback.size; neither shrinks.
func (d *decider) applyFallback(size int32) int32 {
	if !d.stale {
		return size
	}
	lastGood := d.in.FluxLastGood
	if !lastGood.IsZero() && d.in.Now.Sub(lastGood) < d.s.fallbackAfter {
		return size
	}
	d.out.Fallback = true
	if d.s.fallbackAction != v1alpha1.FallbackSize {
		d.out.FallbackReason = v1alpha1.ReasonFallbackHold
		d.steps.note("fallback Hold: Flux state %s", d.staleness())
		return size
	}
	d.out.FallbackReason = v1alpha1.ReasonFallbackSize
	if d.s.fallbackSize > size {
		d.steps.limited(v1alpha1.ReasonDesiredWithinRange,
			"fallback Size raises to %d: Flux state %s", d.s.fallbackSize, d.staleness())
		return d.s.fallbackSize
	}
	return size
}

// clamp is step 8: [minSize, min(maxSize, TargetMax)].
func (d *decider) clamp(size int32) int32 {
	switch {
	case size > d.s.hi && d.s.hi < d.s.maxSize:
		d.steps.limited(v1alpha1.ReasonTargetMaxSize,
			"capped at the target's own max size %d (maxSize %d)", d.s.hi, d.s.maxSize)
		return d.s.hi
	case size > d.s.hi:
		d.steps.limited(v1alpha1.ReasonTooManyReplicas, "capped at maxSize %d", d.s.hi)
		return d.s.hi
	case size < d.s.lo:
		d.steps.limited(v1alpha1.ReasonTooFewReplicas, "raised to minSize %d", d.s.lo)
		return d.s.lo
	}
	return size
}

// holdIfStale is step 9: stale or missing Flux state never drives a shrink, whatever
// asked for it. Only a current size above the max still yields a smaller Desired, which
// planShrink does not apply while the state is stale.
func (d *decider) holdIfStale(size int32) int32 {
	if !d.stale || size >= d.current {
		return size
	}
	held := max(size, min(d.current, d.s.hi))
	d.steps.limited(v1alpha1.ReasonStaleDataHold,
		"Flux state %s: not shrinking below %d", d.staleness(), held)
	return held
}

// staleness says in words how old the Flux state is.
func (d *decider) staleness() string {
	switch {
	case d.in.FluxLastGood.IsZero():
		return "was never read"
	case d.in.Flux == nil:
		return "is missing"
	}
	return fmt.Sprintf("is stale (last read %s ago)", d.in.Now.Sub(d.in.FluxLastGood))
}
