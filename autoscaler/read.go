package autoscaler

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

// readFlux reads Flux state within flux.timeoutSeconds. On failure it returns the last good
// state this process read (none after a restart: state from before a restart is not trusted)
// with the time status remembers for it.
func (r *Reconciler) readFlux(ctx context.Context, key types.NamespacedName, spec *v1alpha1.ScalingPolicySpec,
	src source.Source, srcErr error, st *v1alpha1.ScalingPolicyStatus) fluxReading {
	if spec.Flux.Source == v1alpha1.SourceNone {
		return fluxReading{}
	}
	var out fluxReading
	if g, ok := r.memory.Get(key); ok {
		out.state, out.lastGood = &g.State, g.At
	} else {
		out.lastGood = lastGoodFromStatus(st)
	}
	err := srcErr
	if err == nil && src.Flux == nil {
		err = fmt.Errorf("flux.source %s has no client", spec.Flux.Source)
	}
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, time.Duration(spec.Flux.TimeoutSeconds)*time.Second)
		var state flux.State
		state, err = src.Flux.State(cctx)
		cancel()
		if err == nil {
			now := r.clock.Now()
			r.memory.Put(key, source.GoodState{State: state, At: now})
			return fluxReading{state: &state, fresh: true, lastGood: now}
		}
	}
	r.metrics.Error(key.Namespace, key.Name, controllermetrics.SourceFlux)
	out.err = err
	return out
}

// readPods reads the CPU use of the target's pods when a policy uses it.
func (r *Reconciler) readPods(ctx context.Context, spec *v1alpha1.ScalingPolicySpec, src source.Source, tgt *target.Info) podReading {
	if !source.WantsPodMetrics(spec) {
		return podReading{}
	}
	out := podReading{wanted: true}
	switch {
	case src.Pods == nil:
		out.err = fmt.Errorf("no pod metrics reader is configured")
	case tgt.PodSelector == nil:
		out.err = fmt.Errorf("%s %s has no pod selector, so its pods' CPU use cannot be read", tgt.Kind, tgt.Name)
	default:
		cctx, cancel := context.WithTimeout(ctx, time.Duration(spec.Flux.TimeoutSeconds)*time.Second)
		u, err := src.Pods.Read(cctx, tgt.Namespace, tgt.PodSelector)
		cancel()
		if err != nil {
			out.err = fmt.Errorf("reading the CPU use of %s %s's pods: %w", tgt.Kind, tgt.Name, err)
			break
		}
		out.usage = &policy.PodUsage{CPUPercent: u.CPUPercent, Pods: u.Pods}
		out.at = r.clock.Now()
	}
	return out
}

// readHints returns the hints on record, first seeding the store from status when this
// process has not heard of the policy (after a restart).
func (r *Reconciler) readHints(key types.NamespacedName, st *v1alpha1.ScalingPolicyStatus) []policy.Hint {
	if r.hints == nil {
		return nil
	}
	r.hints.Seed(key, hintsFromStatus(st.ActiveHints))
	return r.hints.List(key)
}
