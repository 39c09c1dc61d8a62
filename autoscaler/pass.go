package autoscaler

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/signals"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/policy"
)

// minRecheck bounds how soon a pass asks to run again for Decision.RecheckAt, so a
// recheck computed at whole seconds cannot spin.
const minRecheck = 100 * time.Millisecond

// fenceRetry is how soon a shrink held for fresher Flux state is tried again (a watcher's
// event may bring the state sooner).
const fenceRetry = time.Second

// pass is one reconcile of one policy: resolve the target, gather signals, decide, apply,
// report. The steps are in run, in order.
type pass struct {
	r   *Reconciler
	key types.NamespacedName
	// sp is the policy as read from the API server (its status updated by any write made
	// during the pass); before is its status as read, for the transition events.
	sp     *v1alpha1.ScalingPolicy
	before *v1alpha1.ScalingPolicyStatus
	now    time.Time
	// written is the status the API server holds, and version the policy's resourceVersion
	// it was read at; restored is set when sp.Status is the one this process last computed
	// instead (see restore).
	written  *v1alpha1.ScalingPolicyStatus
	version  string
	restored bool
	// tgt is the target, once resolved; apply scales it.
	tgt target.Target
	// streamed is set while o.flux is a state the Exec stream delivered, not a read of this
	// pass: it justifies a shrink only by proving it came after the last drain (delivered.go).
	streamed bool
}

func (p *pass) run(ctx context.Context) (reconcile.Result, error) {
	r, sp := p.r, p.sp
	p.written, p.version = sp.Status.DeepCopy(), sp.ResourceVersion
	p.restored = restore(r.memory, p.key, sp)
	trig, triggered := r.triggers.Take(p.key)
	spec := policy.Defaulted(sp.Spec)
	o := &outcome{now: p.now, generation: sp.Generation, dryRun: spec.DryRun, source: spec.Flux.Source}
	poll := time.Duration(spec.PollIntervalSeconds) * time.Second

	// 1. The target: a problem with it, or an older policy of it, is reported, never a
	// crash or a hot retry.
	problem, err := p.ambiguous(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	var resolved target.Target
	if problem == nil {
		resolved, err = r.targets.Resolve(ctx, sp.Namespace, spec.TargetRef)
	}
	if problem != nil || errors.As(err, &problem) {
		o.targetProblem = problem
		r.feeders.Stop(p.key)
		return reconcile.Result{RequeueAfter: poll}, p.finish(ctx, o)
	}
	if err != nil {
		r.metrics.Error(p.key.Namespace, p.key.Name, controllermetrics.SourceTarget)
		return reconcile.Result{}, err
	}
	p.tgt = resolved
	tgt := resolved.Info()
	o.target = tgt
	if tgt.Kind == target.KindMiniCluster {
		r.watches.Ensure(ctx) // its events tell when the operator applied a size
	}
	requeue := poll
	var recheck time.Duration
	o.notApplied, recheck = notApplied(tgt, timeOrZero(sp.Status.LastScaleTime), p.now, r.notAppliedAfter)
	if recheck > 0 {
		requeue = min(requeue, recheck)
	}
	decideCurrent := tgt.Current
	if o.notApplied {
		decideCurrent = tgt.Live // the size that runs; the spec holds one the operator refused
	}

	// 2. Signals, each read bounded by flux.timeoutSeconds.
	src := p.gather(ctx, o, &spec)
	if (spec.DryRun || spec.Flux.Source == v1alpha1.SourceNone) && len(o.owned) > 0 {
		p.releasePassive(ctx, o, src, &spec)
	}
	owned := o.owned
	o.removed, o.removedPods = p.removedByPod(ctx, o, decideCurrent)

	// 3. Decide.
	history := historyFromStatus(sp.Status.History)
	if !p.restored {
		history = restAfter(history, p.now)
	}
	in := policy.Input{
		Now: p.now, Spec: spec, Current: decideCurrent, TargetMax: tgt.Max,
		FluxFresh: o.flux.fresh, FluxLastGood: o.flux.lastGood, Hints: o.hints,
		History: history, Draining: owned, DrainStarted: o.drainStart,
		Removed: o.removed, Expressions: r.expressions.get(sp, &spec),
		External: externalInput(o.external),
	}
	if o.flux.state != nil {
		in.Flux = signals.FluxInput(*o.flux.state)
	}
	in.Pods = o.pods.usage
	d := policy.Decide(in)
	if p.streamed && shrinks(o, &d) && !p.streamedProvesShrink(o, &spec) {
		d = p.decideOnRead(ctx, o, &spec, src, &in)
	}
	o.decision = &d
	if !d.RecheckAt.IsZero() {
		// A window, a rate-limit period, a hint or a timeout ends before the next poll.
		requeue = min(requeue, max(d.RecheckAt.Sub(p.now), minRecheck))
	}

	// 4. Apply, unless this is a dry run.
	if !o.dryRun {
		if wait := p.backOffDrains(o, &spec); wait > 0 {
			requeue = min(requeue, max(wait, minRecheck))
		}
		if err := p.apply(ctx, o, src.Flux, &spec, in.History); err != nil {
			return reconcile.Result{}, err
		}
	}
	if o.fenced {
		requeue = min(requeue, fenceRetry)
	}
	if apierrors.IsConflict(o.scaleErr) {
		// The Job controller writes a Job's status after every resize, so our next write
		// often meets a conflict: read again soon rather than wait for the next poll.
		requeue = min(requeue, conflictRetry)
	}
	if o.scaled && triggered {
		r.metrics.TriggerToScale(p.key.Namespace, p.key.Name, trig.Kind, r.clock.Since(trig.At))
	}

	// 5. Report.
	return reconcile.Result{RequeueAfter: requeue}, p.finish(ctx, o)
}

// gather reads what the decision needs into o: the ranks status says we own, Flux state,
// pod use and hints; it keeps the policy's Flux watcher running and returns its Source.
func (p *pass) gather(ctx context.Context, o *outcome, spec *v1alpha1.ScalingPolicySpec) source.Source {
	r, sp := p.r, p.sp
	owned, err := ownedRanks(&sp.Status)
	if err != nil {
		log.FromContext(ctx).Error(err, "status.drainingRanks is not an idset the controller wrote; ignoring it")
	}
	o.owned, o.drainStart = owned, timeOrZero(sp.Status.DrainStartTime)
	o.drainTimeouts, o.drainRetry = sp.Status.DrainTimeouts, timeOrZero(sp.Status.DrainRetryTime)
	src, srcErr := r.sources.Get(ctx, sp, o.target)
	o.flux, p.streamed = r.takeDelivered(p.key, spec, src, srcErr)
	if !p.streamed {
		o.flux = r.readFlux(ctx, p.key, spec, src, srcErr, &sp.Status)
	}
	o.pods = r.readPods(ctx, spec, src, o.target)
	o.external = r.readExternal(ctx, sp, spec)
	if src.Watcher != nil && srcErr == nil {
		var since uint64
		if o.flux.fresh {
			since = o.flux.state.Version
		}
		r.feeders.Ensure(p.key, sp.UID, sp.Generation, src.Watcher, since)
		if h, ok := r.feeders.Health(p.key); ok {
			o.watch = &h
		}
	} else {
		r.feeders.Stop(p.key)
	}
	o.hints = r.readHints(p.key, &sp.Status)
	return src
}

// finish writes the status when something worth a write changed (worthWriting), keeps what
// it computed for the next pass, then records events and metrics.
func (p *pass) finish(ctx context.Context, o *outcome) error {
	r, sp := p.r, p.sp
	st := newStatus(&sp.Status, o)
	if sp.ResourceVersion != p.version {
		p.written = sp.Status.DeepCopy() // a drain or a scale recorded it ahead (apply)
	}
	if worthWriting(p.written, &st, p.now) {
		sp.Status = st
		if err := r.client.Status().Update(ctx, sp); err != nil {
			r.metrics.Error(p.key.Namespace, p.key.Name, controllermetrics.SourceStatus)
			// Actions already taken are still worth an event; conditions are retried.
			r.record(sp, actionEvents(o))
			return fmt.Errorf("writing status: %w", err)
		}
		p.written = sp.Status.DeepCopy()
	}
	r.memory.KeepStatus(p.key, source.KeptStatus{UID: sp.UID, Computed: st, Written: *p.written})
	r.record(sp, transitionEvents(p.before, &st, o))
	r.observe(p.key, o, &st)
	return nil
}

// notApplied reports whether a MiniCluster's Job has lagged its spec.size for longer than
// grace since the last scale, or else how long until it would count as such. Only a
// MiniCluster's running size can differ from its size set; Live is -1 while it has no Job.
func notApplied(tgt *target.Info, lastScale, now time.Time, grace time.Duration) (bool, time.Duration) {
	if tgt.Live < 0 || tgt.Applied() {
		return false, 0
	}
	if wait := grace - now.Sub(lastScale); !lastScale.IsZero() && wait > 0 {
		return false, wait
	}
	return true, 0
}
