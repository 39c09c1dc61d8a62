package policy

import (
	"slices"
	"time"
)

// release is a number of nodes expected free at a time.
type release struct {
	at time.Time
	n  int64
}

// startPlan is which pending jobs QueueDepth provisions for now.
type startPlan struct {
	// ok is false when the plan needs a time Flux did not give (a running job with no
	// time limit holds the ranks the head job waits for): QueueDepth then counts every
	// pending job, as it did before it could plan.
	ok bool
	// demand is the nodes to provision beyond the busy ones.
	demand int64
	// waiting is the head job that cannot start now even at the max size, and at is when
	// it can at the earliest (nil when every job fits).
	waiting *PendingJob
	at      time.Time
	// deferred counts the jobs planned to wait for ranks the target has (ownRanks).
	deferred int
}

// planStarts is the node demand of the pending jobs when the cluster may grow to hi,
// planned the way an EASY backfilling scheduler (fluxion's queue-policy=easy) starts
// them. Jobs in queue order start while they fit in the hi-busy nodes not in use; the
// first that does not is the head job, which can start once enough running jobs reach
// their time limits (Rank.Expires), or the jobs started ahead of it theirs
// (PendingJob.Duration). Behind it, a job that fits now starts if it ends before then or
// leaves the head job enough nodes. The demand is what those jobs need now, or what the
// head job needs at its start (with what still runs then), whichever is more.
//
// The rest of the queue is no demand yet: nothing could run on nodes grown for it before
// the head job starts. Counting every pending job held the cluster at its max size while
// the head job waited; on the 512-node lublin_256 replay a quarter of the non-busy
// node-hours. With the FCFS scheduler (sched-simple) the jobs counted to backfill wait
// instead; that costs only idle nodes, as counting every pending job did.
//
// The head job's nodes are kept even while its start is hours away, although nothing
// but backfill runs on them: Flux reserves for the head job only on the ranks it has,
// and on fewer ranks it reserves later and lets jobs backfill past the head job's start.
// Releasing them until a node start delay before the start saved 1.3 % more node-hours
// on that replay, but the widest jobs waited far longer (on 256 nodes, 13 days on average
// instead of 5.5 for jobs over 128 nodes): an autoscaler must not undo EASY's promise.
//
// A job that would need a growth may instead wait for the busy ranks below current to
// reach their limits (ownRanks.wait); it is then demand only for the free ranks it takes.
//
// Jobs larger than hi are left out (unsatisfiable), as QueueDepth leaves them.
func planStarts(f *FluxState, s *signals, busy int64) startPlan {
	hi, now := s.hi, s.now
	if f.Ranks == nil {
		return startPlan{}
	}
	free := max(int64(hi)-busy, 0)
	// rel holds the jobs the plan starts until the ranks' releases join it below.
	var rel []release
	var p startPlan
	start := func(j *PendingJob, n int64) {
		free -= n
		p.demand += n
		if j.Duration > 0 {
			rel = append(rel, release{at: now.Add(j.Duration), n: n})
		}
	}
	own := newOwnRanks(f, s)
	jobs := f.Pending
	head := -1
	for i := range jobs {
		j := &jobs[i]
		n := jobNodes(j, f.CoresPerNode)
		if n > int64(hi) {
			continue
		}
		if n > free {
			head = i
			break
		}
		if w, ok := own.wait(j, n, now); ok {
			// It starts within w on ranks the target has: only their free ones are
			// demand; the busy ones it waits for are counted busy already.
			used := own.take(n)
			free -= used
			p.demand += used
			p.deferred++
			rel = append(rel, release{at: now.Add(w + j.Duration), n: n})
			continue
		}
		own.use(n)
		start(j, n)
	}
	promised := own.promised()
	for i := range f.Ranks {
		if r := &f.Ranks[i]; r.Allocated && !r.Expires.IsZero() && !slices.Contains(promised, r.Rank) {
			rel = append(rel, release{at: r.Expires, n: 1})
		}
	}
	if head < 0 {
		p.ok = true
		return p
	}
	need := jobNodes(&jobs[head], f.CoresPerNode)
	slices.SortFunc(rel, func(a, b release) int { return a.at.Compare(b.at) })
	at, extra, found := reservation(rel, free, need)
	if !found {
		return startPlan{}
	}
	for i := head + 1; i < len(jobs); i++ {
		j := &jobs[i]
		n := jobNodes(j, f.CoresPerNode)
		if n > free || n > int64(hi) {
			continue
		}
		endsBefore := j.Duration > 0 && !now.Add(j.Duration).After(at)
		if !endsBefore {
			if n > extra {
				continue
			}
			extra -= n
		}
		start(j, n)
	}
	p.ok = true
	p.waiting, p.at = &jobs[head], at
	var freed int64
	for _, r := range rel {
		if !r.at.After(at) {
			freed += r.n
		}
	}
	p.demand = max(p.demand, p.demand-freed+need)
	return p
}

// reservation is when need nodes are free at the earliest, given free nodes now and the
// releases sorted by time, and how many more than need are free then; false when the
// releases Flux knows never free enough.
func reservation(rel []release, free, need int64) (at time.Time, extra int64, ok bool) {
	avail := free
	for i, r := range rel {
		avail += r.n
		// Nodes freed at the same instant are all free then.
		if avail >= need && (i+1 == len(rel) || rel[i+1].at.After(r.at)) {
			return r.at, avail - need, true
		}
	}
	return time.Time{}, 0, false
}
