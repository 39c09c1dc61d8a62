package main

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/agent"
)

// agentSources reads each policy's simulated Flux through the real agent client, by policy
// name. With watch set the client is also the Watcher (the agent long-poll triggers a
// reconcile on every change); without it the controller only polls, as HPA does.
type agentSources struct {
	urls  map[string]string
	watch bool
}

var _ source.Factory = agentSources{}

func (s agentSources) NewSource(_ context.Context, sp *v1alpha1.ScalingPolicy, _ *target.Info) (source.Source, error) {
	u, ok := s.urls[sp.Name]
	if !ok {
		return source.Source{}, fmt.Errorf("no simulated Flux for policy %s", sp.Name)
	}
	c, err := agent.NewClient(u, agent.ClientOptions{Wait: 30 * time.Second})
	if err != nil {
		return source.Source{}, err
	}
	if !s.watch {
		return source.Source{Flux: c}, nil
	}
	return source.Source{Flux: c, Watcher: c}, nil
}

// pollOnlyHints serves the store's hints to decisions but hides its triggers, so a posted
// hint acts only at the next poll: the baseline of the hint path.
type pollOnlyHints struct {
	autoscaler.HintStore
	never chan event.GenericEvent
}

func newPollOnlyHints(s autoscaler.HintStore) pollOnlyHints {
	return pollOnlyHints{HintStore: s, never: make(chan event.GenericEvent)}
}

// Triggers never fires. The store's own channel is left undrained: it drops triggers when
// full, and List, which decisions read, is unaffected.
func (p pollOnlyHints) Triggers() <-chan event.GenericEvent { return p.never }
