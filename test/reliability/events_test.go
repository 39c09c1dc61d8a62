package reliability

import (
	"context"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// eventCounts counts the events recorded on the policy by reason; a repeated event counts
// each time (events.k8s.io merges repeats into a series).
func eventCounts(ctx context.Context, e *env, ns, policy string) (map[string]int, error) {
	var list eventsv1.EventList
	if err := e.client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, ev := range list.Items {
		if ev.Regarding.Kind != "ScalingPolicy" || ev.Regarding.Name != policy {
			continue
		}
		n := 1
		if ev.Series != nil {
			n = int(ev.Series.Count)
		}
		out[ev.Reason] += n
	}
	return out, nil
}
