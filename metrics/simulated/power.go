package simulated

import (
	"fmt"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// Suspend powers off idle ranks inside the size, as Slurm's power saving does to a node
// idle for SuspendTime: the rank goes offline, costs no node-seconds and takes no job
// until Resume. It fails without changing anything when a rank is outside the size, busy,
// not online or already suspended, since a power-off request for such a node is a bug in
// the caller.
func (c *Cluster) Suspend(ranks flux.RankSet) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkRanks(ranks); err != nil {
		return fmt.Errorf("suspending ranks %s: %w", ranks, err)
	}
	for _, r := range ranks {
		switch rk := c.ranks[r]; {
		case r >= c.size:
			return fmt.Errorf("suspending ranks %s: rank %d is outside the size %d", ranks, r, c.size)
		case rk.job != noJob:
			return fmt.Errorf("suspending ranks %s: rank %d runs a job", ranks, r)
		case !rk.online:
			return fmt.Errorf("suspending ranks %s: rank %d is not online (booting or suspended)", ranks, r)
		}
	}
	if len(ranks) == 0 {
		return nil
	}
	for _, r := range ranks {
		c.ranks[r].online, c.ranks[r].suspended = false, true
	}
	c.suspended += int32(len(ranks))
	c.stats.Suspends += len(ranks)
	c.bump()
	return nil
}

// Resume powers suspended ranks on again: they come online NodeUpDelay later, as a rank a
// resize adds. It fails without changing anything when a rank is not suspended.
func (c *Cluster) Resume(ranks flux.RankSet) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkRanks(ranks); err != nil {
		return fmt.Errorf("resuming ranks %s: %w", ranks, err)
	}
	for _, r := range ranks {
		if !c.ranks[r].suspended {
			return fmt.Errorf("resuming ranks %s: rank %d is not suspended", ranks, r)
		}
	}
	if len(ranks) == 0 {
		return nil
	}
	for _, r := range ranks {
		rk := &c.ranks[r]
		rk.suspended = false
		if c.opts.NodeUpDelay == 0 {
			rk.online = true
			continue
		}
		rk.upAt = c.now.Add(c.opts.NodeUpDelay)
		c.booting++
	}
	c.suspended -= int32(len(ranks))
	c.stats.Resumes += len(ranks)
	c.schedule()
	c.bump()
	return nil
}
