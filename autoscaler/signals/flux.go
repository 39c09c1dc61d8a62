// Package signals turns what the metrics sources read into policy's input types. The
// controller and the trace replay both use it, so a simulated decision sees exactly what a
// live one would.
package signals

import (
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

// FluxInput converts a Flux state for policy.Input.Flux. Pending jobs (DEPEND, PRIORITY,
// SCHED) keep their queue order; running jobs only count through the ranks and node counts.
// Held jobs (SCHED at priority 0, flux.Job.Held) are not demand and reach policy neither as
// pending jobs nor in Sched (flux.Counts.Sched leaves them out); Counts.Held counts them,
// for status, metrics and the heldJobs variable of an Expression policy.
// Ranks is nil exactly when the source has no per-rank view (PerRank false), which is how
// policy knows it may not drain; a draining rank is Drained and Allocated.
func FluxInput(s flux.State) *policy.FluxState {
	out := &policy.FluxState{
		Counts: policy.QueueCounts{
			Depend: s.Counts.Depend, Priority: s.Counts.Priority, Sched: s.Counts.Sched,
			Run: s.Counts.Run, Cleanup: s.Counts.Cleanup, Held: s.Counts.Held,
		},
		Nodes:        policy.NodeCounts{Up: s.Nodes.Up, Allocated: s.Nodes.Allocated, Free: s.Nodes.Free},
		CoresPerNode: s.CoresPerNode,
	}
	for _, j := range s.Jobs {
		if j.Pending() {
			out.Pending = append(out.Pending, policy.PendingJob{ID: j.ID, NNodes: j.NNodes, NCores: j.NCores})
		}
	}
	if s.PerRank {
		out.Ranks = make([]policy.Rank, 0, len(s.Ranks))
		for _, r := range s.Ranks {
			out.Ranks = append(out.Ranks, policy.Rank{Rank: r.Rank, Up: r.Online, Allocated: r.Allocated, Drained: r.Drain != ""})
		}
	}
	return out
}
