package simulated

import (
	"context"
	"fmt"
	"time"

	"k8s.io/utils/clock"
)

// Follow steps the cluster to clk's time every interval until ctx ends, so it can back a
// real controller in an end-to-end test (clk is the real clock there, a fake one in unit
// tests). The cluster's Start should be clk.Now() when Follow begins. It returns nil when
// ctx ends, or the error of a step.
func (c *Cluster) Follow(ctx context.Context, clk clock.WithTicker, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("following the clock: interval %s must be positive", interval)
	}
	t := clk.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
			if now := clk.Now(); now.After(c.Now()) {
				if err := c.Step(now); err != nil {
					return fmt.Errorf("following the clock: %w", err)
				}
			}
		}
	}
}
