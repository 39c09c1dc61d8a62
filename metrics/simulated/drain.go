package simulated

import (
	"context"
	"fmt"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// Drain marks ranks drained, as the CLI client's `flux resource drain -u RANKS REASON`: no
// new job lands there, running jobs go on (the rank shows draining until its job ends, then
// drained), and ranks already drained keep their reason. Like Flux, it fails without
// changing anything when a rank is out of range.
func (c *Cluster) Drain(ctx context.Context, ranks flux.RankSet, reason string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("draining ranks %s: %w", ranks, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkRanks(ranks); err != nil {
		return fmt.Errorf("draining ranks %s: %w", ranks, err)
	}
	changed := false
	for _, r := range ranks {
		if !c.ranks[r].drained {
			c.ranks[r].drained, c.ranks[r].reason = true, reason
			changed = true
		}
	}
	if !changed {
		return nil
	}
	c.stats.Drains++
	c.bump()
	return nil
}

// Undrain gives drained ranks back to the scheduler, as `flux resource undrain RANKS`; like
// Flux it fails without changing anything when a rank is out of range or not drained.
func (c *Cluster) Undrain(ctx context.Context, ranks flux.RankSet) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("undraining ranks %s: %w", ranks, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkRanks(ranks); err != nil {
		return fmt.Errorf("undraining ranks %s: %w", ranks, err)
	}
	for _, r := range ranks {
		if !c.ranks[r].drained {
			return fmt.Errorf("undraining ranks %s: rank %d not drained", ranks, r)
		}
	}
	if len(ranks) == 0 {
		return nil
	}
	for _, r := range ranks {
		c.ranks[r].drained, c.ranks[r].reason = false, ""
	}
	c.stats.Undrains++
	c.schedule()
	c.bump()
	return nil
}

// checkRanks rejects sets Flux would reject: unsorted or out of the instance's range.
func (c *Cluster) checkRanks(ranks flux.RankSet) error {
	if err := ranks.Validate(); err != nil {
		return err
	}
	if n := len(ranks); n > 0 && ranks[n-1] >= c.opts.MaxSize {
		return fmt.Errorf("idset is out of range: rank %d, the cluster has ranks 0-%d", ranks[n-1], c.opts.MaxSize-1)
	}
	return nil
}
