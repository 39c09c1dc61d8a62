package replay

import (
	"context"
	"fmt"
	"sync"
)

// Observer follows replays by scaler name. RunAll calls it from several goroutines.
type Observer interface {
	// Progress reports the jobs done (finished, killed or failed) of total.
	Progress(name string, done, total int)
	// Finished reports that a replay ended: every job done, or given up on.
	Finished(name string)
}

// RunAll replays cfg under each scaler concurrently (each on its own cluster, so the
// results do not depend on the interleaving) and returns the results in scalers' order.
// obs may be nil.
func RunAll(ctx context.Context, cfg Config, scalers []Scaler, obs Observer) ([]Result, error) {
	results := make([]Result, len(scalers))
	errs := make([]error, len(scalers))
	var wg sync.WaitGroup
	for i, s := range scalers {
		c := cfg
		if obs != nil {
			c.Progress = func(done, total int) { obs.Progress(s.Name(), done, total) }
		}
		wg.Go(func() {
			results[i], errs[i] = Run(ctx, c, s)
			if obs != nil {
				obs.Finished(s.Name())
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("replaying: %w", err)
		}
	}
	return results, nil
}
