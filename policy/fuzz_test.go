package policy

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// FuzzDecide checks Decide's invariants over random inputs. The seeds run in every
// `go test`; `go test -fuzz=FuzzDecide ./policy/` searches further.
func FuzzDecide(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{4, 6, 1, 0, 6, 1, 1, 1, 1, 1, 1, 1, 0, 0, 3, 3, 6, 7})
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, 64+rng.IntN(512))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(&fuzzReader{b: data})
		before := cloneInput(in)
		got := Decide(in)
		if diff := cmp.Diff(before, in, quantityEqual); diff != "" {
			t.Fatalf("Decide changed its input (-before +after):\n%s", diff)
		}
		if again := Decide(cloneInput(in)); !cmp.Equal(got, again) {
			t.Fatalf("same input, different output:\n%s", cmp.Diff(got, again))
		}
		withDefaults := cloneInput(in)
		withDefaults.Spec = Defaulted(in.Spec)
		if d := Decide(withDefaults); !cmp.Equal(got, d) {
			t.Fatalf("Decide differs after Defaulted (-raw +defaulted):\n%s", cmp.Diff(got, d))
		}
		checkInvariants(t, in, got)
	})
}

// checkInvariants states what every decision must satisfy.
func checkInvariants(t *testing.T, in Input, d Decision) {
	if !d.RecheckAt.IsZero() && !d.RecheckAt.After(in.Now) {
		t.Errorf("RecheckAt %v is not after Now %v", d.RecheckAt, in.Now)
	}
	t.Helper()
	current := max(in.Current, 0)
	hi := in.Spec.MaxSize
	if in.TargetMax > 0 && in.TargetMax < hi {
		hi = in.TargetMax
	}
	hi = max(hi, 1)
	lo := min(max(in.Spec.MinSize, 1), hi)
	if d.Desired < lo || d.Desired > hi {
		t.Errorf("Desired %d outside [%d, %d]", d.Desired, lo, hi)
	}
	shrinks := d.Scale && d.Desired < current
	mode := in.Spec.ScaleDown.Mode
	if mode == "" || mode == v1alpha1.ScaleDownDrain {
		if shrinks && (in.Flux == nil || in.Flux.Ranks == nil) {
			t.Errorf("Drain mode shrank %d -> %d without per-rank state", current, d.Desired)
		}
		if shrinks {
			for _, r := range in.Flux.Ranks {
				if r.Rank >= d.Desired && r.Rank < current && (!r.Drained || r.Allocated) {
					t.Errorf("Drain mode shrank %d -> %d removing rank %+v", current, d.Desired, r)
				}
			}
		}
	}
	if mode == v1alpha1.ScaleDownNever && shrinks {
		t.Errorf("Never mode shrank %d -> %d", current, d.Desired)
	}
	stale := in.Spec.Flux.Source != v1alpha1.SourceNone && (in.Flux == nil || !in.FluxFresh)
	if stale && (shrinks || d.Desired < min(current, hi)) {
		t.Errorf("stale Flux state: Desired %d, Scale %v from %d", d.Desired, d.Scale, current)
	}
	if d.BusyRanksRemoved != 0 && (mode != v1alpha1.ScaleDownImmediate || !shrinks) {
		t.Errorf("BusyRanksRemoved %d in mode %q (shrinks %v)", d.BusyRanksRemoved, mode, shrinks)
	}
	if d.Scale && d.Desired == current {
		t.Errorf("Scale with Desired == Current == %d", current)
	}
	for _, r := range d.Undrain {
		if !slices.Contains(in.Draining, r) {
			t.Errorf("Undrain %d: not a rank we drained (%v)", r, in.Draining)
		}
		if slices.Contains(in.Removed, r) {
			t.Errorf("Undrain %d: a shrink removed it and its old broker is not gone yet", r)
		}
	}
	// Drain mode also drains early below Desired (the ranks above what the policies want
	// while the scale-down window holds the size), never below minSize.
	drainFrom := d.Desired
	if mode == "" || mode == v1alpha1.ScaleDownDrain {
		drainFrom = min(d.Desired, lo)
	}
	for _, r := range d.Drain {
		if r < drainFrom || r >= current || slices.Contains(d.Undrain, r) {
			t.Errorf("Drain %d outside [%d, %d) or also undrained", r, drainFrom, current)
		}
	}
	checkHistory(t, d.History)
}

func checkHistory(t *testing.T, h History) {
	t.Helper()
	if len(h.Recommendations) > maxHistory || len(h.ScaleEvents) > maxHistory {
		t.Errorf("History holds %d recommendations and %d events, want at most %d each",
			len(h.Recommendations), len(h.ScaleEvents), maxHistory)
	}
	var times []time.Time
	for _, r := range h.Recommendations {
		times = append(times, r.Time)
	}
	for _, e := range h.ScaleEvents {
		times = append(times, e.Time)
	}
	for _, tm := range times {
		if !tm.Truncate(time.Second).Equal(tm) {
			t.Errorf("History time %s is not whole seconds", tm)
		}
	}
	if !slices.IsSortedFunc(h.Recommendations, func(a, b TimedSize) int { return a.Time.Compare(b.Time) }) ||
		!slices.IsSortedFunc(h.ScaleEvents, func(a, b ScaleEvent) int { return a.Time.Compare(b.Time) }) {
		t.Errorf("History out of order: %+v", h)
	}
}
