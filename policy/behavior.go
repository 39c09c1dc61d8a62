package policy

import (
	"math"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// The HPA behavior steps (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior),
// with times from Input instead of the wall clock and history from status instead of memory.

// tolerate is step 3: HPA skips a change whose ratio to 1 is within the direction's
// tolerance. Our ratio is the combined recommendation over Current (policies give sizes, not
// metrics), so tolerance applies exactly here: to the combined recommendation of step 2,
// before it is recorded and stabilized; never to hints, the fallback or the bounds. A change
// is skipped when recommended/current <= 1+scaleUp.tolerance (growing) or >=
// 1-scaleDown.tolerance (shrinking), and never when Current is 0.
//
// One exception: a scale-up is never skipped while Flux has pending jobs that fit within the
// effective max size (see pendingFits). On a 10-node cluster, a one-node job asks for a
// ratio of 1.1, within a 0.1 tolerance, and would otherwise wait forever for a node.
func (d *decider) tolerate(size int32) int32 {
	c := d.current
	if c <= 0 || size == c {
		return size
	}
	ratio := float64(size) / float64(c)
	switch {
	case size > c && ratio <= 1+d.s.up.tolerance && pendingFits(d.flux, d.s.hi):
		d.steps.note("%d is within the scale-up tolerance %g of %d, "+
			"but pending jobs fit: tolerance not applied", size, d.s.up.tolerance, c)
	case size > c && ratio <= 1+d.s.up.tolerance:
		d.steps.limited(v1alpha1.ReasonWithinTolerance,
			"%d is within the scale-up tolerance %g of %d", size, d.s.up.tolerance, c)
		return c
	case size < c && ratio >= 1-d.s.down.tolerance:
		d.steps.limited(v1alpha1.ReasonWithinTolerance,
			"%d is within the scale-down tolerance %g of %d", size, d.s.down.tolerance, c)
		return c
	}
	return size
}

// stabilize is step 4: up takes the lowest recommendation of the scale-up window, down the
// highest of the scale-down window, both including this one, and the result is Current
// brought within [up, down]. A recommendation counts while its time is strictly after
// now-window, as in HPA.
func (d *decider) stabilize(size int32) int32 {
	up, down := size, size
	upCut := d.nowUnix - d.s.up.windowSeconds
	downCut := d.nowUnix - d.s.down.windowSeconds
	for _, r := range d.in.History.Recommendations {
		t := r.Time.Unix()
		if t > upCut {
			up = min(up, r.Size)
		}
		if t > downCut {
			down = max(down, r.Size)
		}
	}
	next := min(max(d.current, up), down)
	switch {
	case next == size:
	case size >= d.current:
		d.recheckStabilized(up, d.s.up.windowSeconds)
		d.steps.limited(v1alpha1.ReasonScaleUpStabilized,
			"scale-up stabilized at %d, the lowest recommendation of the last %ds",
			next, d.s.up.windowSeconds)
	default:
		d.recheckStabilized(down, d.s.down.windowSeconds)
		d.steps.limited(v1alpha1.ReasonScaleDownStabilized,
			"scale-down stabilized at %d, the highest recommendation of the last %ds",
			next, d.s.down.windowSeconds)
	}
	return next
}

// rateLimit is step 5: the size may move from the size at the start of each policy's
// period by that policy's amount; selectPolicy picks the policy allowing the most change
// (Max), the least (Min), or none (Disabled).
func (d *decider) rateLimit(size int32) int32 {
	c := d.current
	switch {
	case size > c:
		if d.s.up.selectPolicy == v1alpha1.SelectDisabled {
			d.steps.limited(v1alpha1.ReasonScaleUpDisabled,
				"scale-up disabled by behavior.scaleUp.selectPolicy: staying at %d", c)
			return c
		}
		limit := max(d.scaleUpLimit(), c)
		if size > limit {
			d.recheckRateLimited(d.s.up)
			d.steps.limited(v1alpha1.ReasonScaleUpLimit,
				"scale-up limited to %d by behavior.scaleUp.policies", limit)
			return limit
		}
	case size < c:
		if d.s.down.selectPolicy == v1alpha1.SelectDisabled {
			d.steps.limited(v1alpha1.ReasonScaleDownDisabled,
				"scale-down disabled by behavior.scaleDown.selectPolicy: staying at %d", c)
			return c
		}
		limit := min(d.scaleDownLimit(), c)
		if size < limit {
			d.recheckRateLimited(d.s.down)
			d.steps.limited(v1alpha1.ReasonScaleDownLimit,
				"scale-down limited to %d by behavior.scaleDown.policies", limit)
			return limit
		}
	}
	return size
}

// scaleUpLimit is the largest size the scale-up policies allow now.
func (d *decider) scaleUpLimit() int32 {
	pick := larger
	result := int64(math.MinInt32)
	if d.s.up.selectPolicy == v1alpha1.SelectMin {
		pick, result = smaller, math.MaxInt32
	}
	for _, p := range d.s.up.policies {
		start := d.periodStart(p.PeriodSeconds)
		var proposed int64
		switch p.Type {
		case v1alpha1.RatePods:
			proposed = start + int64(p.Value)
		case v1alpha1.RatePercent:
			// Computed in float64 exactly as HPA does, rounding up so that a small size
			// still grows, so that sizes match HPA's to the pod: 50 +10 % gives 56 there,
			// not 55, because 50*1.1 is 55.00000000000001 in float64.
			proposed = floatToInt64(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		default:
			continue
		}
		result = pick(result, proposed)
	}
	return toInt32(result)
}

// scaleDownLimit is the smallest size the scale-down policies allow now.
func (d *decider) scaleDownLimit() int32 {
	pick := smaller
	result := int64(math.MaxInt32)
	if d.s.down.selectPolicy == v1alpha1.SelectMin {
		pick, result = larger, math.MinInt32
	}
	for _, p := range d.s.down.policies {
		start := d.periodStart(p.PeriodSeconds)
		var proposed int64
		switch p.Type {
		case v1alpha1.RatePods:
			proposed = start - int64(p.Value)
		case v1alpha1.RatePercent:
			// Truncated toward zero like HPA's int32 conversion: 72 -10 % gives 64.
			proposed = floatToInt64(float64(start) * (1 - float64(p.Value)/100))
		default:
			continue
		}
		result = pick(result, proposed)
	}
	return toInt32(result)
}

// periodStart is the size at the start of a period of the given length: the current size
// less what scale events within the period added, plus what they removed.
func (d *decider) periodStart(periodSeconds int32) int64 {
	cut := d.nowUnix - int64(periodSeconds)
	start := int64(d.current)
	for _, e := range d.in.History.ScaleEvents {
		if e.Time.Unix() > cut {
			start -= int64(e.To) - int64(e.From)
		}
	}
	return start
}

// floatToInt64 converts like Go's conversion but saturates instead of overflowing.
func floatToInt64(f float64) int64 {
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

func larger(a, b int64) int64  { return max(a, b) }
func smaller(a, b int64) int64 { return min(a, b) }
