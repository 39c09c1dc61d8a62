package simulated

import (
	"container/heap"
	"fmt"
	"time"
)

// Step moves virtual time to until, handling every event (job end, rank up, job submit) on
// the way in time order; all events at one instant are handled before the scheduler runs.
// A time before now is an error: virtual time never goes back.
func (c *Cluster) Step(until time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until.Before(c.now) {
		return fmt.Errorf("stepping to %s: the cluster is already at %s", until.Format(time.RFC3339), c.now.Format(time.RFC3339))
	}
	for {
		t, ok := c.nextEvent()
		if !ok || t.After(until) {
			break
		}
		c.advanceTo(t)
		c.handleEvents()
	}
	c.advanceTo(until)
	return nil
}

// Advance is Step(Now()+d).
func (c *Cluster) Advance(d time.Duration) error {
	return c.Step(c.Now().Add(d))
}

// NextEvent is the time of the next job end, rank up or job submit; false when none is due.
// It can be now, when an action started a job of zero length.
func (c *Cluster) NextEvent() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nextEvent()
}

func (c *Cluster) nextEvent() (time.Time, bool) {
	var next time.Time
	found := false
	consider := func(t time.Time) {
		if !found || t.Before(next) {
			next, found = t, true
		}
	}
	if c.arrived < len(c.arrivals) {
		consider(c.jobs[c.arrivals[c.arrived]].rec.Submit)
	}
	if end, ok := c.nextEnd(); ok {
		consider(end)
	}
	for i := 0; c.booting > 0 && i < int(c.size); i++ {
		if r := &c.ranks[i]; r.booting() {
			consider(r.upAt)
		}
	}
	return next, found
}

// advanceTo moves the clock, adding the node-seconds of the interval to the counters.
func (c *Cluster) advanceTo(t time.Time) {
	if !t.After(c.now) {
		return
	}
	dt := t.Sub(c.now).Seconds()
	c.stats.BusyNodeSeconds += float64(c.allocated) * dt
	c.stats.ProvisionedNodeSeconds += float64(c.size-c.suspended) * dt
	c.stats.Idle.addIdle(c.idle, dt)
	c.now = t
}

// handleEvents handles everything due now: ends free ranks and booted ranks join before
// arrivals queue, then the scheduler runs once.
func (c *Cluster) handleEvents() {
	for {
		end, ok := c.nextEnd()
		if !ok || end.After(c.now) {
			break
		}
		c.end(heap.Pop(&c.running).(endEntry).job, OutcomeFinished)
	}
	for i := 0; c.booting > 0 && i < int(c.size); i++ {
		if r := &c.ranks[i]; r.booting() && !r.upAt.After(c.now) {
			r.online, r.upAt = true, time.Time{}
			c.booting--
		}
	}
	for c.arrived < len(c.arrivals) {
		idx := c.arrivals[c.arrived]
		if c.jobs[idx].rec.Submit.After(c.now) {
			break
		}
		c.arrived++
		c.enqueue(idx)
	}
	c.schedule()
	c.bump()
}

// enqueue puts a job at the tail of the queue.
func (c *Cluster) enqueue(idx int) {
	c.queue = append(c.queue, idx)
	c.stats.Submitted++
	if n := c.jobs[idx].rec.NNodes; n <= c.opts.MaxSize {
		c.pendingNodes += int64(n)
	}
}

// start gives a queued job the ranks and moves it to running.
func (c *Cluster) start(idx int, ranks []int32) {
	js := &c.jobs[idx]
	js.ranks = ranks
	js.rec.Ranks = ranks
	js.rec.Start = c.now
	js.rec.Outcome = OutcomeRunning
	for _, r := range ranks {
		c.ranks[r].job = idx
	}
	c.allocated += int32(len(ranks))
	c.pendingNodes -= int64(js.rec.NNodes)
	c.stats.Started++
	heap.Push(&c.running, endEntry{end: c.now.Add(js.rec.Runtime), job: idx})
}

// end releases a running job's ranks with the given outcome. A killed job's heap entry is
// left behind and skipped when it surfaces.
func (c *Cluster) end(idx int, outcome Outcome) {
	js := &c.jobs[idx]
	for _, r := range js.ranks {
		c.ranks[r].job = noJob
	}
	c.allocated -= int32(len(js.ranks))
	js.ranks = nil
	js.rec.End = c.now
	js.rec.Outcome = outcome
	if outcome == OutcomeKilled {
		c.stats.Killed++
	} else {
		c.stats.Finished++
	}
}

// nextEnd is the earliest end of a running job, dropping the entries of killed jobs.
func (c *Cluster) nextEnd() (time.Time, bool) {
	for c.running.Len() > 0 {
		top := c.running.entries[0]
		if c.jobs[top.job].rec.Outcome == OutcomeRunning {
			return top.end, true
		}
		heap.Pop(&c.running)
	}
	return time.Time{}, false
}

// endEntry is a running job's planned end.
type endEntry struct {
	end time.Time
	job int
}

// endHeap orders running jobs by end time, then by submission, so ties break the same way
// on every run.
type endHeap struct {
	entries []endEntry
}

// Len, Less and Swap implement sort.Interface for container/heap.
func (h endHeap) Len() int { return len(h.entries) }
func (h endHeap) Less(i, j int) bool {
	a, b := h.entries[i], h.entries[j]
	if !a.end.Equal(b.end) {
		return a.end.Before(b.end)
	}
	return a.job < b.job
}
func (h endHeap) Swap(i, j int) { h.entries[i], h.entries[j] = h.entries[j], h.entries[i] }

// Push implements heap.Interface.
func (h *endHeap) Push(x any) { h.entries = append(h.entries, x.(endEntry)) }

// Pop implements heap.Interface.
func (h *endHeap) Pop() any {
	last := h.entries[len(h.entries)-1]
	h.entries = h.entries[:len(h.entries)-1]
	return last
}
