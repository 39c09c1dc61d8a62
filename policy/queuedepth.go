package policy

import (
	"fmt"
	"math"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// queueDepth recommends the nodes Flux needs: busy nodes plus the node demand of the
// pending jobs.
//
// Summing every pending job's demand is deliberate even though Flux schedules FCFS and runs
// one job at a time at the queue's head: "nodes needed" is the size at which the whole queue
// could run at once, which is what a user waiting on it wants; the clamp to the max size and
// the rate limits bound it, and jobs that could never run anywhere are left out.
//
// Two exceptions, when Flux gives the times to plan with (per-rank state, running jobs'
// expirations, pending jobs' time limits): behind a head job that cannot start even at
// the max size until running jobs reach their limits, only the jobs that could backfill
// are demand (planStarts); and a job that would grow the target by more than a few nodes
// waits instead for running jobs on the ranks it has to reach their limits, when they do
// within a quarter of its own (ownRanks).
type queueDepth struct {
	// pendingJobsPerNode > 0 sizes by ceil(pending jobs / N) instead of job sizes.
	pendingJobsPerNode int32
}

func (q queueDepth) recommend(s *signals) outcome {
	if !s.fluxWanted {
		return outcome{}
	}
	f := s.flux
	if f == nil {
		return outcome{missing: true}
	}
	o := outcome{ok: true}
	busy := busyNodes(f)
	var demand int64
	for i := range f.Pending {
		j := &f.Pending[i]
		n := jobNodes(j, f.CoresPerNode)
		if n > int64(s.hi) {
			// Flux keeps such a job pending until it reaches the queue's head (see the
			// elastic fixtures): only the max size tells that it can never run.
			o.unsatisfiable = append(o.unsatisfiable, j.ID)
			continue
		}
		demand += n
	}
	counted := int64(f.Counts.Depend) + int64(f.Counts.Priority) + int64(f.Counts.Sched)
	// Jobs counted but not listed (a counts-only source, or a capped list) ask for at
	// least one node each.
	unlisted := max(counted-int64(len(f.Pending)), 0)
	demand += unlisted
	how := "job sizes"
	var plan startPlan
	if q.pendingJobsPerNode == 0 {
		plan = planStarts(f, s, busy)
	}
	if plan.ok && plan.waiting != nil && plan.demand+unlisted != demand {
		how = "the jobs EASY would start by the head job's start"
	}
	if plan.ok {
		demand = plan.demand + unlisted
	}
	if q.pendingJobsPerNode > 0 {
		jobs := max(counted, int64(len(f.Pending))) - int64(len(o.unsatisfiable))
		demand = ceilDiv(max(jobs, 0), int64(q.pendingJobsPerNode))
		how = fmt.Sprintf("%d jobs per node", q.pendingJobsPerNode)
	}
	// Jobs the scheduler already placed are in busy; the job list has not caught up.
	ahead := min(int64(max(f.AllocatedAhead, 0)), demand)
	demand -= ahead
	size := toInt32(busy + demand)
	o.rec = Recommendation{
		Policy: string(v1alpha1.PolicyQueueDepth),
		Size:   size,
		Reason: fmt.Sprintf("%d busy + %d pending nodes (%s)", busy, demand, how),
	}
	if plan.waiting != nil {
		o.waiting = fmt.Sprintf("head job %s (%d nodes)", plan.waiting.ID, jobNodes(plan.waiting, f.CoresPerNode))
		o.rec.Reason += fmt.Sprintf("; head job %s (%d nodes) can start at %s at the earliest, "+
			"when running jobs reach their time limits",
			plan.waiting.ID, jobNodes(plan.waiting, f.CoresPerNode), plan.at.UTC().Format(time.RFC3339))
	}
	if plan.deferred > 0 {
		o.rec.Reason += fmt.Sprintf("; %d pending jobs wait for running jobs on the ranks the target has "+
			"to reach their time limits (within a quarter of their own) rather than grow it", plan.deferred)
	}
	if ahead > 0 {
		o.rec.Reason += fmt.Sprintf("; %d pending nodes already allocated left out", ahead)
	}
	if len(o.unsatisfiable) > 0 {
		o.rec.Reason += fmt.Sprintf("; %d pending jobs larger than max size %d ignored",
			len(o.unsatisfiable), s.hi)
	}
	return o
}

// pendingFits is true when f (nil: no fresh Flux state) has a pending job that could run
// within hi nodes, as QueueDepth counts them: a listed job no larger than hi, or a job
// counted but not listed (one node).
func pendingFits(f *FluxState, hi int32) bool {
	if f == nil || hi < 1 {
		return false
	}
	for i := range f.Pending {
		if jobNodes(&f.Pending[i], f.CoresPerNode) <= int64(hi) {
			return true
		}
	}
	counted := int64(f.Counts.Depend) + int64(f.Counts.Priority) + int64(f.Counts.Sched)
	return counted > int64(len(f.Pending))
}

// busyNodes counts allocated ranks, or Flux's count when there is no per-rank state.
func busyNodes(f *FluxState) int64 {
	if f.Ranks == nil {
		return int64(max(f.Nodes.Allocated, 0))
	}
	var n int64
	for i := range f.Ranks {
		if f.Ranks[i].Allocated {
			n++
		}
	}
	return n
}

// jobNodes is the nodes a pending job asks for: its node count, else its cores spread over
// whole nodes, at least one.
func jobNodes(j *PendingJob, coresPerNode int32) int64 {
	if j.NNodes > 0 {
		return int64(j.NNodes)
	}
	if j.NCores > 0 && coresPerNode > 0 {
		return max(ceilDiv(int64(j.NCores), int64(coresPerNode)), 1)
	}
	return 1
}

// ceilDiv is ceil(a/b) for a >= 0, b > 0.
func ceilDiv(a, b int64) int64 {
	return (a + b - 1) / b
}

// toInt32 saturates v to the int32 range.
func toInt32(v int64) int32 {
	return int32(min(max(v, math.MinInt32), math.MaxInt32))
}
