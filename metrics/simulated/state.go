package simulated

import (
	"context"
	"fmt"
	"slices"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// State returns the cluster as the flux CLI client assembles it: Size is MaxSize; ranks not
// up (not started, booting or removed) are offline; every pending job is SCHED (the model has
// no dependencies or priorities), in queue order, followed by the running jobs, newest first
// as `flux jobs` lists them, the list cut at JobListLimit as `flux jobs` cuts it; Counts
// cover every job, as Flux's job-stats does. Node counts follow `flux resource list`: up
// ranks are online and not drained, down ones are the rest, and a draining rank counts as
// allocated and down.
func (c *Cluster) State(ctx context.Context) (flux.State, error) {
	if err := ctx.Err(); err != nil {
		return flux.State{}, fmt.Errorf("reading simulated Flux state: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state(), nil
}

// Watch waits until the state's Version differs from since, or ctx ends. The model has no
// wait bound of its own: give ctx a deadline to bound the wait.
func (c *Cluster) Watch(ctx context.Context, since uint64) (flux.State, error) {
	for {
		c.mu.Lock()
		if c.version != since {
			s := c.state()
			c.mu.Unlock()
			return s, nil
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return flux.State{}, fmt.Errorf("watching simulated Flux state: %w", ctx.Err())
		}
	}
}

// WatchesSnapshots reports that Watch returns whole states, the snapshot State would
// return at that moment, like the agent's long-poll.
func (c *Cluster) WatchesSnapshots() bool { return true }

func (c *Cluster) state() flux.State {
	cpn := c.opts.coresPerNode()
	limit := c.opts.jobListLimit()
	s := flux.State{
		ObservedAt:   c.now,
		Version:      c.version,
		Size:         c.opts.MaxSize,
		CoresPerNode: cpn,
		Jobs:         make([]flux.Job, 0, min(limit, len(c.queue)+c.running.Len())),
		Ranks:        make([]flux.Rank, len(c.ranks)),
		PerRank:      true,
	}
	for _, idx := range c.queue[:min(limit, len(c.queue))] {
		js := &c.jobs[idx]
		// Pending jobs have no core count yet: `flux jobs` prints ncores empty for them.
		// The walltime is the job's time limit (flux submit -t), which Flux lists as duration.
		s.Jobs = append(s.Jobs, flux.Job{
			ID: js.fluxID, State: flux.JobSched, NNodes: js.rec.NNodes, NTasks: js.rec.NNodes,
			Duration: js.rec.walltime(),
		})
	}
	s.Counts.Sched = int32(len(c.queue))
	var running []int
	for _, e := range c.running.entries {
		if c.jobs[e.job].rec.Outcome == OutcomeRunning {
			running = append(running, e.job)
		}
	}
	slices.SortFunc(running, func(a, b int) int {
		if d := c.jobs[b].rec.Start.Compare(c.jobs[a].rec.Start); d != 0 {
			return d
		}
		return b - a
	})
	for _, idx := range running[:min(max(limit-len(s.Jobs), 0), len(running))] {
		js := c.jobs[idx]
		s.Jobs = append(s.Jobs, flux.Job{
			ID: js.fluxID, State: flux.JobRun, NNodes: js.rec.NNodes,
			NCores: js.rec.NNodes * cpn, NTasks: js.rec.NNodes, Ranks: flux.NewRankSet(js.ranks...),
			Duration: js.rec.walltime(), Expiration: js.rec.Start.Add(js.rec.walltime()),
		})
	}
	s.Counts.Run = int32(len(running))
	for i, r := range c.ranks {
		fr := flux.Rank{Rank: int32(i), Online: r.online, Allocated: r.job != noJob}
		if r.drained {
			fr.Drain, fr.Reason = flux.DrainDrained, r.reason
			if fr.Allocated {
				fr.Drain = flux.DrainDraining
			}
		}
		s.Ranks[i] = fr
		switch {
		case r.online && !r.drained:
			s.Nodes.Up++
			if !fr.Allocated {
				s.Nodes.Free++
			}
		default:
			s.Nodes.Down++
		}
		if fr.Allocated {
			s.Nodes.Allocated++
		}
	}
	return s
}

// Version is the state's current Version, without assembling the state.
func (c *Cluster) Version() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}
