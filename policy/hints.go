package policy

import (
	"fmt"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// hintPolicy names hint recommendations in Decision.Recommendations.
const hintPolicy = "Hint"

// hintSet is the effect of the hints in force.
type hintSet struct {
	// exact is the largest Exact hint, floor the largest Floor hint; 0 when none.
	exact, floor int32
	// nExact and nFloor count the hints of each mode.
	nExact, nFloor int
}

// activeHints reads in.Hints: a subject's last hint in the slice replaces its earlier ones
// (the hint store appends), and only unexpired ones count. A hint without a mode takes the
// spec's.
func activeHints(in *Input, mode v1alpha1.HintMode) hintSet {
	var h hintSet
	for i := range in.Hints {
		hint := &in.Hints[i]
		if replacedLater(in.Hints, i) || !hint.Expires.After(in.Now) || hint.Size <= 0 {
			continue
		}
		m := hint.Mode
		if m == "" {
			m = mode
		}
		if m == v1alpha1.HintExact {
			h.exact = max(h.exact, hint.Size)
			h.nExact++
		} else {
			h.floor = max(h.floor, hint.Size)
			h.nFloor++
		}
	}
	return h
}

// replacedLater is true when a later hint has the same subject as hints[i]. Quadratic, but
// the status keeps at most 64 hints, and it allocates nothing.
func replacedLater(hints []Hint, i int) bool {
	for j := i + 1; j < len(hints); j++ {
		if hints[j].Subject == hints[i].Subject {
			return true
		}
	}
	return false
}

// apply is the size h leaves of size: an Exact hint sets it (the largest if several),
// then a Floor hint raises it.
func (h hintSet) apply(size int32) int32 {
	if h.nExact > 0 {
		size = h.exact
	}
	if h.nFloor > 0 {
		size = max(size, h.floor)
	}
	return size
}

// hinted is the recommendation with the hints in force applied: what the stabilization
// windows record. A hint that expires is then still in the scale-down window's history, and
// the size steps down through the window instead of dropping at once.
func (d *decider) hinted(size int32) int32 {
	if !d.s.hintsEnabled {
		return size
	}
	return d.hints.apply(size)
}

// applyHints is step 6: an Exact hint sets the size (the largest if several), then a Floor
// hint raises it. Hints come after stabilization and rate limits, so they act at once; the
// bounds still apply (step 8). Once a hint expires it no longer bypasses anything: its size
// is in the recorded recommendations (see hinted), so the scale-down window and the rate
// limits govern the way down.
func (d *decider) applyHints(size int32) int32 {
	if !d.s.hintsEnabled {
		return size
	}
	h := d.hints
	if h.nExact > 0 {
		d.out.Recommendations = append(d.out.Recommendations, Recommendation{
			Policy: hintPolicy, Size: h.exact,
			Reason: fmt.Sprintf("largest of %d Exact hints", h.nExact),
		})
		if h.exact != size {
			d.steps.limited(v1alpha1.ReasonHintExact, "Exact hint sets %d", h.exact)
			size = h.exact
		}
	}
	if h.nFloor > 0 {
		d.out.Recommendations = append(d.out.Recommendations, Recommendation{
			Policy: hintPolicy, Size: h.floor,
			Reason: fmt.Sprintf("largest of %d Floor hints", h.nFloor),
		})
		if h.floor > size {
			// A floor is not a limit: the size is what the application asked for.
			d.steps.limited(v1alpha1.ReasonDesiredWithinRange, "Floor hint raises to %d", h.floor)
			size = h.floor
		}
	}
	return size
}
