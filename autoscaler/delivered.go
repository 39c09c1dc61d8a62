package autoscaler

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/signals"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/policy"
)

// A streamed state is one the Exec source's stream delivered with the trigger of a pass (the
// watcher program read Flux on its own handle and sent the state on the stream; the feeder
// kept it, source.Feeders.TakeDelivered). Deciding on it saves the pods/exec read that would
// say the same, which is most of a step's latency. Its ObservedAt, though, is when the line
// arrived, and a line the program read before a drain or undrain can arrive after it
// returned: neither its time nor its version proves it saw the drain. So a streamed state
// may grow, hold, drain and undrain, but it never satisfies the drain fence and never
// justifies a shrink by itself: a decision on it that would shrink is made again on a read
// of Flux (decideOnRead). The program paces its reads and always follows a burst with a newer
// state line, so a burst may scale up in two steps where one read would have scaled once:
// the price of reacting at once, and never a shrink.

// takeDelivered returns the streamed state the policy's feeder delivered, to decide on
// instead of reading Flux, when the source is usable, it arrived within a poll interval, and
// it is newer than the last good state this process has (a read that returned after it
// arrived may have seen more). The delivery is taken either way, so an unused one never
// serves a later pass.
func (r *Reconciler) takeDelivered(key types.NamespacedName, spec *v1alpha1.ScalingPolicySpec, src source.Source, srcErr error) (fluxReading, bool) {
	d, ok := r.feeders.TakeDelivered(key)
	if !ok || srcErr != nil || src.Flux == nil || spec.Flux.Source == v1alpha1.SourceNone {
		return fluxReading{}, false
	}
	if r.clock.Since(d.At) > time.Duration(spec.PollIntervalSeconds)*time.Second {
		return fluxReading{}, false
	}
	if last, ok := r.memory.Get(key); ok && !d.At.After(last.At) {
		return fluxReading{}, false
	}
	r.memory.Put(key, d)
	return fluxReading{state: &d.State, fresh: true, lastGood: d.At}, true
}

// shrinks reports whether applying d would write a size below the target's: a scale down,
// or putting back a smaller size a MiniCluster's Job runs (apply's restore).
func shrinks(o *outcome, d *policy.Decision) bool {
	tgt := o.target
	if d.Scale {
		return d.Desired < tgt.Current
	}
	return o.notApplied && tgt.Live > 0 && tgt.Live < tgt.Current
}

// decideOnRead reads Flux (as a pass without a delivery does) and decides again on that
// read: the decision on a streamed state would have shrunk. A failed read leaves the state
// stale, and policy never shrinks on stale state.
func (p *pass) decideOnRead(ctx context.Context, o *outcome, spec *v1alpha1.ScalingPolicySpec, src source.Source, in *policy.Input) policy.Decision {
	o.flux = p.r.readFlux(ctx, p.key, spec, src, nil, &p.sp.Status)
	p.streamed = false
	in.FluxFresh, in.FluxLastGood, in.Flux = o.flux.fresh, o.flux.lastGood, nil
	if o.flux.state != nil {
		in.Flux = signals.FluxInput(*o.flux.state)
	}
	return policy.Decide(*in)
}
