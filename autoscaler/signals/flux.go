// Package signals turns what the metrics sources read into policy's input types. The
// controller and the trace replay both use it, so a simulated decision sees exactly what a
// live one would.
package signals

import (
	"time"

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
			out.Pending = append(out.Pending, policy.PendingJob{ID: j.ID, NNodes: j.NNodes, NCores: j.NCores, Duration: j.Duration})
		}
	}
	out.AllocatedAhead = allocatedAhead(s)
	if s.PerRank {
		expires := rankExpirations(s)
		out.Ranks = make([]policy.Rank, 0, len(s.Ranks))
		for _, r := range s.Ranks {
			pr := policy.Rank{Rank: r.Rank, Up: r.Online, Allocated: r.Allocated, Drained: r.Drain != ""}
			if r.Allocated {
				pr.Expires = expires[r.Rank]
			}
			out.Ranks = append(out.Ranks, pr)
		}
	}
	return out
}

// rankExpirations maps each rank that running jobs hold to when the last of them reaches
// its time limit. A rank one of whose jobs has no limit is left out (it may stay busy for
// ever), and so is an allocated rank no listed job holds: policy reads a zero time as
// "unknown" and never plans on it.
func rankExpirations(s flux.State) map[int32]time.Time {
	out := map[int32]time.Time{}
	unlimited := map[int32]bool{}
	for _, j := range s.Jobs {
		if j.State != flux.JobRun && j.State != flux.JobCleanup {
			continue
		}
		for _, r := range j.Ranks {
			switch {
			case j.Expiration.IsZero():
				unlimited[r] = true
			case j.Expiration.After(out[r]):
				out[r] = j.Expiration
			}
		}
	}
	for r := range unlimited {
		delete(out, r)
	}
	return out
}

// allocatedAhead counts the allocated ranks that no listed running job holds. The scheduler
// allocates first and the job list learns of it from the job-manager's journal after, so a
// read can catch a job the scheduler placed still listed as pending: its nodes would be
// counted twice, once busy and once as demand (seen on the real operator: 2 busy + 2 pending
// read as 4 busy + 2 pending, and a grow to 6 where 4 was enough). It is 0 unless the job
// list is whole for running jobs and every one of them names its ranks, so that a cut or
// counts-only list never hides demand.
func allocatedAhead(s flux.State) int32 {
	if !s.PerRank {
		return 0
	}
	held := map[int32]bool{}
	var listed int32
	for _, j := range s.Jobs {
		if j.State != flux.JobRun && j.State != flux.JobCleanup {
			continue
		}
		if len(j.Ranks) == 0 {
			return 0
		}
		listed++
		for _, r := range j.Ranks {
			held[r] = true
		}
	}
	if listed != s.Counts.Run+s.Counts.Cleanup {
		return 0
	}
	var n int32
	for _, r := range s.Ranks {
		if r.Allocated && !held[r.Rank] {
			n++
		}
	}
	return n
}
