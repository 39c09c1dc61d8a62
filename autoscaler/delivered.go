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

// A streamed state is one a watch delivered with the trigger of a pass; the feeder kept it
// (source.Feeders.TakeDelivered). It is the Exec stream's (the watcher program read Flux on
// its own handle and sent the state on the stream): deciding on it saves the pods/exec read
// that would say the same, which is most of a step's latency. Or it is an agent's snapshot,
// once the watch that followed it has waited long enough on its version that a read would
// return the same (source.SnapshotSettle): deciding on it saves the agent a request per
// change, which counts when thousands of policies change at once. A streamed state's
// time, though, is when it arrived, and one read before a drain or undrain can arrive after
// it returned: neither its time nor its version proves it saw the drain. So a streamed state
// may grow, hold, drain and undrain, and it may shrink (Drain mode) only when what it shows
// proves it was read after our last drain (fresherThanFence): a decision on any other
// streamed state that would shrink is made again on a read of Flux (decideOnRead).
//
// The proof. Each drain gives Flux a reason with a marker no other drain carries
// (drainReason), and the fence keeps it with the drained ranks. Flux drops a rank's reason
// when it is undrained and keeps an older one when a drained rank is drained again, so a
// rank shows the marker only from the moment Flux took this drain until it is next
// undrained. That moment is not yet when the scheduler stops placing jobs there: the resource
// service shows a drain when it takes the request, tells the scheduler after committing it
// to its eventlog, and the scheduler places jobs until it has taken that in, answering for
// each only after committing the job's R (the job manager, and so resource.sched-status,
// learns of it later still). So the state program (metrics/flux/state.py) reads the resource
// status first and then asks the scheduler itself (sched.resource-status) for its
// allocations and the ranks it counts down. A state whose ranks of the drain all show the
// marker and are down in the scheduler was read after the drain took hold in both: when the
// scheduler answered it had taken the drain in, its allocations name every job it ever
// placed there that still holds them, and it places none there until an undrain (ours sets
// a new fence, which only a read of Flux satisfies). The same holds for every other drained
// rank the state shows (schedulerCaughtUp), so a shrink on it removes only ranks that were
// idle when the scheduler answered and stay idle.
//
// What it assumes: that a rank the scheduler counts down is down because of a drain or an
// offline it has taken in, not one it still has to reverse (an online or undrain sent to it
// before the drain, not yet applied: the scheduler applies its resource updates in order,
// one per reactor turn). A read of Flux after the drain relies on the same, and on more (that
// the scheduler had taken in the drain itself); the drain's own pods/exec round trip (0.3 s
// or more) separates that earlier change from the drain.
//
// The program paces its reads and always follows a burst with a newer state line, so a
// burst may scale up in two steps where one read would have scaled once: the price of
// reacting at once, and never a shrink.

// takeDelivered returns the streamed state the policy's feeder delivered, to decide on
// instead of reading Flux, when it stands for a read now (source.Feeders.TakeDelivered), the
// source is usable, it arrived within a poll interval, and it is newer than the last good
// state this process has (a read that returned after it arrived may have seen more). The
// delivery is taken either way, so an unused one never serves a later pass.
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

// streamedProvesShrink reports whether the streamed state at hand may justify a shrink
// without a read of Flux: in Drain mode, when it proves itself newer than the last drain
// (fresherThanFence). Immediate and Never modes read first, as before: Immediate removes
// ranks whatever runs on them, and no fence covers it.
func (p *pass) streamedProvesShrink(o *outcome, spec *v1alpha1.ScalingPolicySpec) bool {
	if spec.ScaleDown.Mode != "" && spec.ScaleDown.Mode != v1alpha1.ScaleDownDrain {
		return false
	}
	return p.fresherThanFence(o, spec)
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
