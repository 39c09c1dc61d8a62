package policy

import (
	"strconv"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// t0 is the decision time of most tests: a Monday, 12:00 UTC.
var t0 = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

// inputWrapper builds Inputs in the Kueue style: makeInput(...).alloc(0, 1).obj().
type inputWrapper struct{ in Input }

// makeInput is a fresh Exec-source input of current size with ranks 0..current-1 up and
// idle, two cores per node, and Immediate shrinking with no scale-down window, so that a
// test sees the policy's number unless it sets the step it tests.
func makeInput(current, maxSize int32) *inputWrapper {
	w := &inputWrapper{in: Input{
		Now:     t0,
		Current: current,
		Spec: v1alpha1.ScalingPolicySpec{
			MinSize:   1,
			MaxSize:   maxSize,
			ScaleDown: v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownImmediate},
			Behavior:  &v1alpha1.ScalingBehavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr[int32](0)}},
		},
		Flux:         &FluxState{CoresPerNode: 2},
		FluxFresh:    true,
		FluxLastGood: t0.Add(-5 * time.Second),
	}}
	return w.ranks(current, current)
}

func (w *inputWrapper) obj() Input { return w.in }

// ranks lists ranks 0..total-1, the first up of them online.
func (w *inputWrapper) ranks(total, up int32) *inputWrapper {
	w.in.Flux.Ranks = make([]Rank, total)
	for i := range total {
		w.in.Flux.Ranks[i] = Rank{Rank: i, Up: i < up}
	}
	return w.counts()
}

// alloc marks ranks as running jobs.
func (w *inputWrapper) alloc(ranks ...int32) *inputWrapper {
	for _, r := range ranks {
		w.in.Flux.Ranks[r].Allocated = true
	}
	return w.counts()
}

// drained marks ranks drained (draining when also allocated).
func (w *inputWrapper) drained(ranks ...int32) *inputWrapper {
	for _, r := range ranks {
		w.in.Flux.Ranks[r].Drained = true
	}
	return w.counts()
}

// busy drops per-rank state and reports n allocated nodes, like flux-metrics-api.
func (w *inputWrapper) busy(n int32) *inputWrapper {
	w.in.Flux.Ranks = nil
	w.in.Flux.Nodes = NodeCounts{Up: w.in.Current, Allocated: n, Free: max(w.in.Current-n, 0)}
	return w
}

// pending queues jobs of the given node counts, named J1, J2... after those already there.
func (w *inputWrapper) pending(nnodes ...int32) *inputWrapper {
	for _, n := range nnodes {
		id := "J" + strconv.Itoa(len(w.in.Flux.Pending)+1)
		w.in.Flux.Pending = append(w.in.Flux.Pending, PendingJob{ID: id, NNodes: n, NCores: 2 * n})
		w.in.Flux.Counts.Sched++
	}
	return w
}

func (w *inputWrapper) mode(m v1alpha1.ScaleDownMode) *inputWrapper {
	w.in.Spec.ScaleDown.Mode = m
	return w
}

func (w *inputWrapper) behavior(b *v1alpha1.ScalingBehavior) *inputWrapper {
	w.in.Spec.Behavior = b
	return w
}

func (w *inputWrapper) hint(subject string, size int32, mode v1alpha1.HintMode, ttl time.Duration) *inputWrapper {
	w.in.Hints = append(w.in.Hints, Hint{
		ID: "h" + strconv.Itoa(len(w.in.Hints)+1), Subject: subject, Size: size, Mode: mode, Expires: t0.Add(ttl),
	})
	return w
}

func (w *inputWrapper) draining(started time.Time, ranks ...int32) *inputWrapper {
	w.in.Draining = ranks
	w.in.DrainStarted = started
	return w
}

func (w *inputWrapper) stale(lastGood time.Time) *inputWrapper {
	w.in.FluxFresh = false
	w.in.FluxLastGood = lastGood
	return w
}

// counts recomputes Nodes from the ranks.
func (w *inputWrapper) counts() *inputWrapper {
	var n NodeCounts
	for _, r := range w.in.Flux.Ranks {
		switch {
		case !r.Up:
		case r.Allocated:
			n.Up++
			n.Allocated++
		case !r.Drained:
			n.Up++
			n.Free++
		}
	}
	w.in.Flux.Nodes = n
	return w
}

func ptr[T any](v T) *T { return &v }

// scaling builds one direction of a behavior.
func scaling(window int32, sel v1alpha1.SelectPolicy, policies ...v1alpha1.ScalingRatePolicy) *v1alpha1.ScalingRules {
	r := &v1alpha1.ScalingRules{StabilizationWindowSeconds: &window, Policies: policies}
	if sel != "" {
		r.SelectPolicy = &sel
	}
	return r
}

func pods(v, period int32) v1alpha1.ScalingRatePolicy {
	return v1alpha1.ScalingRatePolicy{Type: v1alpha1.RatePods, Value: v, PeriodSeconds: period}
}

func percent(v, period int32) v1alpha1.ScalingRatePolicy {
	return v1alpha1.ScalingRatePolicy{Type: v1alpha1.RatePercent, Value: v, PeriodSeconds: period}
}

// quantityEqual compares Quantities by value (they have unexported fields).
var quantityEqual = cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })

// decisionCore leaves out the explanation, for tests about numbers.
var decisionCore = cmpopts.IgnoreFields(Decision{}, "Message", "Recommendations", "History", "RecheckAt")
