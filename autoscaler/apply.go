package autoscaler

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

// apply carries out a decision in a crash-safe order: give back ranks the size needs again,
// drain ranks a shrink will remove (recording them in status first), then write the size.
// It returns an error only when recording a drain in status failed: nothing was drained then.
// Failures of Flux or of the target are kept in o and reported in conditions.
func (p *pass) apply(ctx context.Context, o *outcome, fc flux.Client, spec *v1alpha1.ScalingPolicySpec, prev policy.History) error {
	d := o.decision
	timeout := time.Duration(spec.Flux.TimeoutSeconds) * time.Second
	if len(d.Undrain) > 0 {
		p.undrain(ctx, o, fc, timeout)
	}
	if len(d.Drain) > 0 {
		if err := p.drain(ctx, o, fc, timeout); err != nil {
			return err
		}
	}
	switch tgt := o.target; {
	case d.Scale && d.Desired < tgt.Current && !p.fresherThanFence(o, spec):
		// Flux state read before our last drain or undrain may show as idle a rank Flux
		// has placed a job on since: shrink on a later read.
		o.fenced = true
		d.Scale = false
		d.History.ScaleEvents = prev.ScaleEvents
		d.Limit = v1alpha1.ReasonWaitingForFreshState
		d.Message = fmt.Sprintf("shrinking to %d once Flux state observed after the last drain or undrain arrives "+
			"(the state at hand was observed at %s)", d.Desired, observedAt(o))
		return nil
	case d.Scale && d.Desired != tgt.Current:
		return p.scale(ctx, o, spec, d.Desired, prev)
	case !d.Scale && o.notApplied && tgt.Live > 0:
		// The operator refused spec.size and keeps running Live: the size is ours to own,
		// so put back the one that runs rather than leave the MiniCluster stuck.
		err := p.scale(ctx, o, spec, tgt.Live, d.History)
		o.restored = o.scaled
		return err
	}
	return nil
}

// undrain gives back owned ranks. Ranks Flux already shows undrained are only dropped from
// what we own, so an undrain repeated after a crash (done, but not yet recorded) is harmless.
// A streamed state may have been read before our drain and show them undrained for that, so
// on one every owned rank is undrained (flux's undrain leaves undrained ranks alone).
func (p *pass) undrain(ctx context.Context, o *outcome, fc flux.Client, timeout time.Duration) {
	ranks := flux.NewRankSet(o.decision.Undrain...)
	call := ranks
	if st := o.flux.state; o.flux.fresh && !p.streamed && st.PerRank {
		call = slices.DeleteFunc(slices.Clone(ranks), func(r int32) bool { return !drainedIn(st, r) })
	}
	if len(call) > 0 {
		if fc == nil {
			o.drainErr = fmt.Errorf("cannot undrain ranks %s: no Flux client", call)
			return
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err := fc.Undrain(cctx, call)
		cancel()
		p.fence(o, "", nil) // even a failed call may have undrained some
		if err != nil {
			o.drainErr = fmt.Errorf("undraining ranks %s: %w", call, err)
			p.r.metrics.Error(p.key.Namespace, p.key.Name, controllermetrics.SourceDrain)
			return
		}
	}
	o.owned = slices.DeleteFunc(slices.Clone(o.owned), ranks.Contains)
	o.undrained = ranks
}

// drain records the ranks as owned in status, then drains them. The status write comes
// first so that a controller restarted after the drain knows which ranks it drained; a drain
// repeated after a crash before it ran is what the policy asks for anyway (Flux shows the
// ranks undrained). Owned ranks are drained again only on a state observed after the last
// drain: one from before shows them undrained because it is old.
func (p *pass) drain(ctx context.Context, o *outcome, fc flux.Client, timeout time.Duration) error {
	d := o.decision
	ranks := flux.NewRankSet(d.Drain...)
	if !p.fresherThanFence(o, &p.sp.Spec) {
		// A state observed before our last drain shows ranks we drained since as undrained:
		// that is the state's age. Draining them again would only repeat DrainStarted.
		ranks = slices.DeleteFunc(ranks, o.owned.Contains)
		if len(ranks) == 0 {
			return nil
		}
	}
	if fc == nil {
		o.drainErr = fmt.Errorf("cannot drain ranks %s: no Flux client", ranks)
		return nil
	}
	owned := flux.NewRankSet(append(slices.Clone(o.owned), ranks...)...)
	start := o.drainStart
	if len(o.liveOwned()) == 0 || start.IsZero() {
		start = p.now
	}
	if !slices.Equal(owned, o.owned) || !start.Equal(o.drainStart) {
		p.sp.Status.DrainingRanks = owned.String()
		t := wholeSeconds(start)
		p.sp.Status.DrainStartTime = &t
		if err := p.r.client.Status().Update(ctx, p.sp); err != nil {
			p.r.metrics.Error(p.key.Namespace, p.key.Name, controllermetrics.SourceStatus)
			return fmt.Errorf("recording ranks %s as draining in status, before draining them: %w", ranks, err)
		}
	}
	o.owned, o.drainStart = owned, start
	reason := drainReason(d.Desired)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	err := fc.Drain(cctx, ranks, reason)
	cancel()
	p.fence(o, reason, ranks) // even a failed call may have drained some
	if err != nil {
		o.drainErr = fmt.Errorf("draining ranks %s: %w", ranks, err)
		p.r.metrics.Error(p.key.Namespace, p.key.Name, controllermetrics.SourceDrain)
		return nil
	}
	o.drained = ranks
	return nil
}

// drainedIn reports whether Flux shows rank r drained or draining.
func drainedIn(st *flux.State, r int32) bool {
	for _, rk := range st.Ranks {
		if rk.Rank == r {
			return rk.Drain != ""
		}
	}
	return false
}
