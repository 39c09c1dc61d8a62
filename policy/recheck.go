package policy

import "time"

// The controller decides on events and at pollIntervalSeconds. Some holds end with time
// alone: a stabilization window forgets a recommendation, a rate-limit period forgets a
// scale event, a hint expires, the fallback delay or a drain timeout passes. Without a
// recheck at that moment a long poll interval would leave the size held for nothing, so
// the decision says when to look again (Decision.RecheckAt).

// recheckAt records t as a moment to decide again if it is in the future and sooner than
// what was recorded.
func (d *decider) recheckAt(t time.Time) {
	if !t.After(d.in.Now) {
		return
	}
	if d.out.RecheckAt.IsZero() || t.Before(d.out.RecheckAt) {
		d.out.RecheckAt = t
	}
}

// recheckStabilized is called when a window held the size at held instead of the
// recommendation: the hold can only change once every recommendation that set it (the
// window's highest for scale-down, lowest for scale-up) has left the window, that is at the
// newest such recommendation's time plus the window.
func (d *decider) recheckStabilized(held int32, windowSeconds int64) {
	cut := d.nowUnix - windowSeconds
	var newest int64 = -1
	for _, r := range d.in.History.Recommendations {
		if t := r.Time.Unix(); t > cut && r.Size == held && t > newest {
			newest = t
		}
	}
	if newest >= 0 {
		d.recheckAt(time.Unix(newest+windowSeconds, 0))
	}
}

// recheckRateLimited is called when a rate policy held the size: the limit loosens when
// the oldest scale event within a policy's period leaves it.
func (d *decider) recheckRateLimited(r rules) {
	for _, p := range r.policies {
		cut := d.nowUnix - int64(p.PeriodSeconds)
		for _, e := range d.in.History.ScaleEvents {
			if t := e.Time.Unix(); t > cut {
				d.recheckAt(time.Unix(t+int64(p.PeriodSeconds), 0))
				break // events are oldest first: this is the period's oldest
			}
		}
	}
}

// recheckTimers records the moments that change a decision whatever held it: the next
// hint expiry, the fallback delay running out, and a drain timing out.
func (d *decider) recheckTimers() {
	if d.s.hintsEnabled {
		for _, h := range d.in.Hints {
			d.recheckAt(h.Expires)
		}
	}
	if d.stale && !d.out.Fallback && !d.in.FluxLastGood.IsZero() {
		d.recheckAt(d.in.FluxLastGood.Add(d.s.fallbackAfter))
	}
	if d.s.drainTimeout > 0 && !d.in.DrainStarted.IsZero() && len(d.in.Draining) > 0 {
		d.recheckAt(d.in.DrainStarted.Add(d.s.drainTimeout + time.Second))
	}
}
