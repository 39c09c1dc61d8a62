package simulated

import (
	"slices"
	"time"
)

// schedule starts what the queue policy allows now. Jobs get the lowest free ranks (what
// sched-simple and fluxion's default "first" match do), which keeps the top ranks idle for
// a shrink.
func (c *Cluster) schedule() {
	free := c.freeRanks()
	for len(c.queue) > 0 {
		idx := c.queue[0]
		n := c.jobs[idx].rec.NNodes
		if n > c.opts.MaxSize {
			// Flux fails an oversized job only when it reaches the head of the queue.
			c.fail(idx)
			c.queue = c.queue[1:]
			continue
		}
		if int(n) > len(free) {
			break
		}
		var got []int32
		got, free = c.place(idx, free)
		c.start(idx, got)
		c.queue = c.queue[1:]
	}
	if len(c.queue) > 1 && len(free) > 0 && c.opts.sched() == SchedEASY {
		c.backfill(free)
	}
}

// freeRanks are the ranks a job can start on now: online, not drained, idle.
func (c *Cluster) freeRanks() []int32 {
	var free []int32
	for i, r := range c.ranks[:c.size] {
		if r.online && !r.drained && r.job == noJob {
			free = append(free, int32(i))
		}
	}
	return free
}

// fail removes a job that can never run, as Flux's unsatisfiable alloc exception does.
func (c *Cluster) fail(idx int) {
	js := &c.jobs[idx]
	js.rec.End = c.now
	js.rec.Outcome = OutcomeUnsatisfiable
	c.stats.Unsatisfiable++
}

// backfill is EASY: the blocked head job gets a reservation (the earliest time enough ranks
// are expected free, by the walltimes of running jobs and the boot times of ranks), and a
// later job may start now if it fits and either ends by that time or only uses ranks the
// head job will not need then.
func (c *Cluster) backfill(free []int32) {
	head := &c.jobs[c.queue[0]].rec
	shadow, extra, reserved := c.reservation(head.NNodes, int32(len(free)))
	if reserved && head.Reserved.IsZero() {
		head.Reserved = shadow
	}
	kept := c.queue[:1]
	for i, idx := range c.queue[1:] {
		if len(free) == 0 {
			kept = append(kept, c.queue[1+i:]...)
			break
		}
		j := c.jobs[idx].rec
		fits := j.NNodes <= int32(len(free))
		if fits && reserved && c.now.Add(j.walltime()).After(shadow) {
			fits = j.NNodes <= extra
			if fits {
				extra -= j.NNodes
			}
		}
		if !fits {
			kept = append(kept, idx)
			continue
		}
		var got []int32
		got, free = c.place(idx, free)
		c.start(idx, got)
	}
	c.queue = kept
}

// place picks the ranks for job idx from free (sorted, at least the job's size) and returns
// them and the ranks left. Jobs take the lowest free ranks, except with ShortJobsHigh,
// where a job whose walltime is below it takes the highest: an experiment in keeping long
// jobs off the ranks a shrink gives back first.
func (c *Cluster) place(idx int, free []int32) (ranks, rest []int32) {
	j := c.jobs[idx].rec
	n := int(j.NNodes)
	if c.opts.ShortJobsHigh > 0 && j.walltime() < c.opts.ShortJobsHigh {
		return slices.Clone(free[len(free)-n:]), free[:len(free)-n]
	}
	return slices.Clone(free[:n]), free[n:]
}

// release is a number of ranks expected to become free at a time.
type release struct {
	at time.Time
	n  int32
}

// reservation finds when need ranks are expected free, counting the ones free now, the
// undrained ranks of running jobs at their walltime, and undrained booting ranks when they
// come up. extra is how many more than need are free then. False when the ranks that exist
// can never hold the job: there is then nothing to protect.
func (c *Cluster) reservation(need, freeNow int32) (shadow time.Time, extra int32, ok bool) {
	var rel []release
	for _, e := range c.running.entries {
		js := c.jobs[e.job]
		if js.rec.Outcome != OutcomeRunning {
			continue
		}
		var n int32
		for _, r := range js.ranks {
			if !c.ranks[r].drained {
				n++
			}
		}
		if n > 0 {
			rel = append(rel, release{at: js.rec.Start.Add(js.rec.walltime()), n: n})
		}
	}
	for _, r := range c.ranks[:c.size] {
		if r.booting() && !r.drained {
			rel = append(rel, release{at: r.upAt, n: 1})
		}
	}
	slices.SortStableFunc(rel, func(a, b release) int { return a.at.Compare(b.at) })
	avail := freeNow
	for _, r := range rel {
		avail += r.n
		if avail >= need {
			return r.at, avail - need, true
		}
	}
	return time.Time{}, 0, false
}
