package autoscaler

import (
	"fmt"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// Bounds of the wait between drains after a drain timed out.
const (
	// minDrainBackoff is the first wait when scaleDown.drainTimeoutSeconds is shorter.
	minDrainBackoff = 30 * time.Second
	// maxDrainBackoff caps the doubling.
	maxDrainBackoff = time.Hour
)

// backOffDrains keeps a timed-out drain from starting again on the next pass, which made a
// cycle (drain, time out, undrain, drain) rather than a retry. After each timeout the next
// drain waits drainBackoff, doubling with each timeout in a row; a completed drain, or a
// size that needs no shrink, resets the count. It returns how long until the wait ends
// (0: not waiting).
func (p *pass) backOffDrains(o *outcome, spec *v1alpha1.ScalingPolicySpec) time.Duration {
	d := o.decision
	switch {
	case d.DrainReason == v1alpha1.ReasonDrainTimedOut:
		o.drainTimeouts++
		o.drainRetry = p.now.Add(drainBackoff(spec, o.drainTimeouts))
		return o.drainRetry.Sub(p.now)
	case len(d.Drain) > 0 && p.now.Before(o.drainRetry):
		d.Drain = nil
		d.DrainReason = v1alpha1.ReasonDrainTimedOut
		d.Limit = v1alpha1.ReasonDrainTimedOut
		d.Message = fmt.Sprintf("not draining again before %s, after %d drain timeout(s) in a row: staying at %d",
			o.drainRetry.UTC().Format(time.RFC3339), o.drainTimeouts, o.target.Current)
		o.backingOff = true
		return o.drainRetry.Sub(p.now)
	case d.DrainReason == v1alpha1.ReasonDrainComplete || (len(d.Drain) == 0 && d.Desired >= o.target.Current):
		o.drainTimeouts, o.drainRetry = 0, time.Time{}
	}
	return 0
}

// drainBackoff is the wait before the next drain after timeouts drains in a row timed out.
func drainBackoff(spec *v1alpha1.ScalingPolicySpec, timeouts int32) time.Duration {
	wait := max(time.Duration(spec.ScaleDown.DrainTimeoutSeconds)*time.Second, minDrainBackoff)
	for i := int32(1); i < timeouts && wait < maxDrainBackoff; i++ {
		wait *= 2
	}
	return min(wait, maxDrainBackoff)
}

// drainTimeoutAdvice is what a user can do about drains that keep timing out.
const drainTimeoutAdvice = "if jobs on those ranks run longer, raise scaleDown.drainTimeoutSeconds, " +
	"or set scaleDown.mode Immediate to shrink without waiting (it kills them)"
