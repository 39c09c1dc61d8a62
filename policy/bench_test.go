package policy

import (
	"strconv"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// benchInput is a busy production-sized decision: 256 ranks (200 allocated, the top 8
// draining), 1,000 pending jobs of mixed sizes (a few unsatisfiable), 100 history entries,
// the API server's defaults plus a Utilization policy and two active hints.
func benchInput() Input {
	in := Input{
		Now:     t0,
		Current: 256,
		Spec: v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 512, Policies: []v1alpha1.PolicySpec{
			{Type: v1alpha1.PolicyQueueDepth},
			{Type: v1alpha1.PolicyUtilization, Utilization: &v1alpha1.UtilizationPolicy{TargetFreeNodes: ptr[int32](4)}},
		}},
		TargetMax:    512,
		Flux:         &FluxState{CoresPerNode: 64},
		FluxFresh:    true,
		FluxLastGood: t0.Add(-2 * time.Second),
		Hints: []Hint{
			{ID: "1", Subject: "a", Size: 100, Mode: v1alpha1.HintFloor, Expires: t0.Add(time.Hour)},
			{ID: "2", Subject: "b", Size: 300, Mode: v1alpha1.HintFloor, Expires: t0.Add(-time.Hour)},
		},
	}
	for r := range int32(256) {
		in.Flux.Ranks = append(in.Flux.Ranks, Rank{Rank: r, Up: true, Allocated: r < 200, Drained: r >= 248})
	}
	for i := range 1000 {
		j := PendingJob{ID: "f" + strconv.Itoa(i), NNodes: int32(i%16 + 1)}
		if i%10 == 0 {
			j.NNodes, j.NCores = 0, int32(i%200+1)
		}
		if i%250 == 0 {
			j.NNodes = 1000
		}
		in.Flux.Pending = append(in.Flux.Pending, j)
	}
	in.Flux.Counts = QueueCounts{Sched: 1000, Run: 180}
	for i := range 80 {
		in.History.Recommendations = append(in.History.Recommendations,
			TimedSize{Time: t0.Add(time.Duration(i-299) * time.Second), Size: int32(200 + i%50)})
	}
	for i := range 20 {
		in.History.ScaleEvents = append(in.History.ScaleEvents,
			ScaleEvent{Time: t0.Add(time.Duration(i-14) * time.Second), From: int32(240 + i), To: int32(241 + i)})
	}
	for r := int32(248); r < 256; r++ {
		in.Draining = append(in.Draining, r)
	}
	in.DrainStarted = t0.Add(-time.Minute)
	return in
}

func BenchmarkDecide(b *testing.B) {
	in := benchInput()
	b.ReportAllocs()
	for b.Loop() {
		_ = Decide(in)
	}
}

// TestDecideAllocationsDoNotGrowWithJobs: a queue of 10,000 jobs costs no more allocations
// than one of 10 (only unsatisfiable jobs are collected, and neither queue has any).
func TestDecideAllocationsDoNotGrowWithJobs(t *testing.T) {
	withJobs := func(n int) Input {
		in := benchInput()
		in.Flux.Pending = nil
		for i := range n {
			in.Flux.Pending = append(in.Flux.Pending, PendingJob{ID: strconv.Itoa(i), NNodes: int32(i%16 + 1)})
		}
		return in
	}
	small, large := withJobs(10), withJobs(10_000)
	a := testing.AllocsPerRun(50, func() { Decide(small) })
	b := testing.AllocsPerRun(50, func() { Decide(large) })
	// Growth with the queue would show as thousands of allocations for 1,000 times the jobs.
	// A couple may differ either way: under -race sync.Pool (fmt's buffers) drops items at
	// random, and a message with longer numbers can grow its builder once more.
	const slack = 2
	if b > a+slack {
		t.Errorf("allocations per decision: %v with 10 jobs, %v with 10,000 (more than %d apart)", a, b, slack)
	}
}
