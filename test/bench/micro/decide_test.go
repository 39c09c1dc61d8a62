package micro

import (
	"strconv"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
)

// decideInput is a 256-rank cluster (200 allocated) with the given number of pending jobs
// of mixed sizes (every tenth with cores only, every 250th unsatisfiable), a QueueDepth
// and a Utilization policy, one active hint and 80 history entries.
func decideInput(pending int) policy.Input {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	in := policy.Input{
		Now:     t0,
		Current: 256,
		Spec: v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 512, Policies: []v1alpha1.PolicySpec{
			{Type: v1alpha1.PolicyQueueDepth},
			{Type: v1alpha1.PolicyUtilization, Utilization: &v1alpha1.UtilizationPolicy{TargetFreeNodes: ptr.To[int32](4)}},
		}},
		TargetMax:    512,
		Flux:         &policy.FluxState{CoresPerNode: 64},
		FluxFresh:    true,
		FluxLastGood: t0.Add(-2 * time.Second),
		Hints:        []policy.Hint{{ID: "1", Subject: "a", Size: 100, Mode: v1alpha1.HintFloor, Expires: t0.Add(time.Hour)}},
	}
	for r := range int32(256) {
		in.Flux.Ranks = append(in.Flux.Ranks, policy.Rank{Rank: r, Up: true, Allocated: r < 200})
	}
	for i := range pending {
		j := policy.PendingJob{ID: "f" + strconv.Itoa(i), NNodes: int32(i%16 + 1)}
		if i%10 == 0 {
			j.NNodes, j.NCores = 0, int32(i%200+1)
		}
		if i%250 == 0 {
			j.NNodes = 1000
		}
		in.Flux.Pending = append(in.Flux.Pending, j)
	}
	in.Flux.Counts = policy.QueueCounts{Sched: int32(pending), Run: 180}
	for i := range 80 {
		in.History.Recommendations = append(in.History.Recommendations,
			policy.TimedSize{Time: t0.Add(time.Duration(i-299) * time.Second), Size: int32(200 + i%50)})
	}
	return in
}

// BenchmarkDecide times one decision. The 0-pending case is the baseline: the fixed cost
// of a decision (ranks, history, hints, rate limits) without any queue to walk.
func BenchmarkDecide(b *testing.B) {
	for _, pending := range []int{0, 1000, 10000} {
		in := decideInput(pending)
		if d := policy.Decide(in); d.Desired < in.Spec.MinSize {
			b.Fatalf("pending %d: decided %d, below minSize", pending, d.Desired)
		}
		b.Run("pending="+strconv.Itoa(pending), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = policy.Decide(in)
			}
		})
	}
}
