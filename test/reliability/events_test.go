package reliability

import (
	"context"

	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// eventCounts counts the events recorded on the policy by reason; a repeated event counts
// each time (events.k8s.io merges repeats into a series).
func eventCounts(ctx context.Context, e *env, ns, policy string) (map[string]int, error) {
	evs, err := ctrltest.EventsOf(ctx, e.Client, ns, "ScalingPolicy", policy)
	if err != nil {
		return nil, err
	}
	return ctrltest.EventCounts(evs), nil
}
