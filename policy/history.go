package policy

import (
	"cmp"
	"slices"
	"time"
)

// maxHistory is the most entries kept in each History list (the status schema's MaxItems).
const maxHistory = 256

// history builds the History to store: the recommendations the stabilization windows still
// need, this one included, and the scale events the rate policies still need, this
// decision's included when it scales. Times are whole seconds, so the history survives a
// round trip through metav1.Time unchanged. Input.History is never modified.
func (d *decider) history(recorded int32) History {
	return History{
		Recommendations: d.keepRecommendations(recorded),
		ScaleEvents:     d.keepScaleEvents(),
	}
}

// seedHistory is HPA's recordInitialRecommendation: with no recommendation on record (a
// new policy, or windows that were 0 until now) the windows see the current size at now,
// and so does the stored history. A shrink right after a policy is created then waits the
// scale-down window, as HPA's does after an HPA is created; growth waits only the scale-up
// window (0 by default). Only d's copy of Input.History changes, never the caller's.
func (d *decider) seedHistory() {
	if len(d.in.History.Recommendations) > 0 || max(d.s.up.windowSeconds, d.s.down.windowSeconds) <= 0 {
		return
	}
	d.in.History.Recommendations = []TimedSize{{Time: d.nowSec, Size: d.current}}
}

// keepRecommendations keeps the recommendations within the longest window, then only those
// that can still decide a window: a recommendation is needed only while it is strictly
// below every newer one (the scale-up minimum) or strictly above every newer one (the
// scale-down maximum). Any window ending now is a suffix in time, so dropping the others
// changes no window's minimum or maximum, and the list stays short when sizes are steady.
func (d *decider) keepRecommendations(recorded int32) []TimedSize {
	window := max(d.s.up.windowSeconds, d.s.down.windowSeconds)
	if window <= 0 {
		return nil
	}
	cut := d.nowUnix - window
	old := d.in.History.Recommendations
	out := make([]TimedSize, 0, len(old)+1)
	for _, r := range old {
		if r.Time.Unix() > cut {
			out = append(out, r)
		}
	}
	out = append(out, TimedSize{Time: d.nowSec, Size: recorded})
	sortBySecond(out, func(r TimedSize) int64 { return r.Time.Unix() })
	// Walk from the newest, compacting the kept entries toward the end.
	w := len(out) - 1
	lo, hi := out[w].Size, out[w].Size
	for i := w - 1; i >= 0; i-- {
		r := out[i]
		if r.Size < lo || r.Size > hi {
			w--
			out[w] = r
			lo, hi = min(lo, r.Size), max(hi, r.Size)
		}
	}
	out = out[max(w, len(out)-maxHistory):]
	for i := range out {
		out[i].Time = out[i].Time.Truncate(time.Second)
	}
	return out
}

// keepScaleEvents keeps the events within the longest rate-policy period and adds this
// decision's when it scales (not in a dry run, which changes nothing).
func (d *decider) keepScaleEvents() []ScaleEvent {
	period := max(d.s.up.longestPeriod(), d.s.down.longestPeriod())
	cut := d.nowUnix - period
	old := d.in.History.ScaleEvents
	out := make([]ScaleEvent, 0, len(old)+1)
	for _, e := range old {
		if e.Time.Unix() > cut {
			out = append(out, ScaleEvent{Time: e.Time.Truncate(time.Second), From: e.From, To: e.To})
		}
	}
	if d.out.Scale && !d.s.dryRun {
		out = append(out, ScaleEvent{Time: d.nowSec, From: d.current, To: d.out.Desired})
	}
	sortBySecond(out, func(e ScaleEvent) int64 { return e.Time.Unix() })
	if len(out) == 0 {
		return nil
	}
	return out[max(len(out)-maxHistory, 0):]
}

// sortBySecond orders s oldest first by whole second, keeping the order within a second.
// Stored history is already in order unless a clock went backwards, so the check usually
// saves the sort.
func sortBySecond[T any](s []T, second func(T) int64) {
	bySecond := func(a, b T) int { return cmp.Compare(second(a), second(b)) }
	if !slices.IsSortedFunc(s, bySecond) {
		slices.SortStableFunc(s, bySecond)
	}
}
