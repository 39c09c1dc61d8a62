package simulated

import "time"

// Stats are the cluster's counters since it started.
type Stats struct {
	// Submitted jobs have entered the queue (future submissions not yet).
	Submitted int `json:"submitted"`
	// Started jobs got nodes.
	Started int `json:"started"`
	// Finished jobs ran to completion; Killed ones lost a rank to a shrink.
	Finished int `json:"finished"`
	Killed   int `json:"killed"`
	// Unsatisfiable jobs asked for more ranks than exist and were failed at the queue head.
	Unsatisfiable int `json:"unsatisfiable"`
	// BusyNodeSeconds integrates the ranks running a job over time.
	BusyNodeSeconds float64 `json:"busyNodeSeconds"`
	// ProvisionedNodeSeconds integrates the size (pods that exist, booting or up, not
	// suspended) over time.
	ProvisionedNodeSeconds float64 `json:"provisionedNodeSeconds"`
	// Idle splits ProvisionedNodeSeconds - BusyNodeSeconds by cause.
	Idle IdleSeconds `json:"idle"`
	// Resizes counts size changes; Drains and Undrains the calls that changed drain marks.
	Resizes  int `json:"resizes"`
	Drains   int `json:"drains"`
	Undrains int `json:"undrains"`
	// Suspends and Resumes count ranks powered off and on (Suspend, Resume).
	Suspends int `json:"suspends"`
	Resumes  int `json:"resumes"`
}

// Sample is the cluster's shape from Time until the next sample.
type Sample struct {
	Time time.Time
	// Size is the target's size; Up the ranks online; Busy the ranks running a job;
	// Suspended the ranks within Size that are powered off (they cost nothing).
	Size, Up, Busy, Suspended int32
	// Demand is Busy plus the nodes the pending jobs ask for (jobs wider than the cluster
	// excluded): the size that would start every pending job now.
	Demand int64
}

// Stats returns the counters.
func (c *Cluster) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Records returns every submitted job and what happened to it, in submission order.
func (c *Cluster) Records() []JobRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]JobRecord, len(c.jobs))
	for i, js := range c.jobs {
		out[i] = js.rec
	}
	return out
}

// Series returns one sample per change of size, up, busy or suspended ranks, or demand.
func (c *Cluster) Series() []Sample {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Sample(nil), c.series...)
}

// Idle reports whether no job is running, queued or due to arrive.
func (c *Cluster) Idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.allocated == 0 && len(c.queue) == 0 && c.arrived == len(c.arrivals)
}

// record appends a sample when the shape changed; a change at the same instant replaces
// the last sample, so the series has one shape per instant.
func (c *Cluster) record() {
	s := Sample{Time: c.now, Size: c.size, Busy: c.allocated, Suspended: c.suspended, Demand: int64(c.allocated) + c.pendingNodes}
	for _, r := range c.ranks {
		if r.online {
			s.Up++
		}
	}
	n := len(c.series)
	if n > 0 {
		last := c.series[n-1]
		if last.Size == s.Size && last.Up == s.Up && last.Busy == s.Busy && last.Suspended == s.Suspended && last.Demand == s.Demand {
			return
		}
		if last.Time.Equal(s.Time) {
			c.series[n-1] = s
			return
		}
	}
	c.series = append(c.series, s)
}
