package autoscaler

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

// scale writes size, after writing in status what the pass will have done once it has
// (write ahead, as drain does): a status write that failed after the size was written would
// make the rate limits forget the event. Writing the pass's whole status then, not only the
// event and lastScaleTime, leaves the end of the pass nothing to write when the size write
// succeeds: one status write per scale, where there were two, while 2,000 policies converge
// on one API server. It returns an error only when that write failed: nothing was written
// then. When the size write fails, the history keeps the scale events of prev (policy
// already added this one, as if it succeeded), and the status written at the end of the pass
// takes back what was written ahead. The ranks a shrink removes stay owned: Flux keeps them
// drained, and a later growth gives them back (Decision.Undrain).
func (p *pass) scale(ctx context.Context, o *outcome, spec *v1alpha1.ScalingPolicySpec, size int32, prev policy.History) error {
	d, tgt := o.decision, o.target
	from := tgt.Current
	o.scaledFrom = from
	if err := outsideDrainPlan(o, spec, size); err != nil {
		o.scaleErr = err
		d.History.ScaleEvents = prev.ScaleEvents
		return nil
	}
	base := p.sp.Status.DeepCopy()
	ahead := scaledOutcome(o, p.tgt, size, from)
	p.sp.Status = newStatus(base, &ahead)
	if err := p.r.client.Status().Update(ctx, p.sp); err != nil {
		p.sp.Status = *base
		p.r.metrics.Error(p.key.Namespace, p.key.Name, controllermetrics.SourceStatus)
		return fmt.Errorf("recording the scale to %d in status, before writing it: %w", size, err)
	}
	p.written, p.version = p.sp.Status.DeepCopy(), p.sp.ResourceVersion
	err := p.reread(ctx, o, from)
	if err == nil {
		err = p.tgt.Scale(ctx, size)
	}
	if err != nil {
		o.scaleErr = err
		d.History.ScaleEvents = prev.ScaleEvents
		p.sp.Status = *base // the end of the pass writes the status of what did happen
		p.r.metrics.Error(p.key.Namespace, p.key.Name, controllermetrics.SourceTarget)
		return nil
	}
	*o.target = *p.tgt.Info() // the sizes Scale updated
	o.scaled, o.scaledTo = true, size
	o.released = ahead.released
	return nil
}

// scaledOutcome is o as a successful write of size over from leaves it, for the status
// written ahead of that write.
func scaledOutcome(o *outcome, tgt target.Target, size, from int32) outcome {
	ahead := *o
	info := tgt.Scaled(size)
	ahead.target = &info
	ahead.scaled, ahead.scaledTo = true, size
	ahead.released = releasedBy(o.owned, size, from)
	return ahead
}

// releasedBy are the owned ranks a shrink from from to size removes.
func releasedBy(owned flux.RankSet, size, from int32) flux.RankSet {
	var out flux.RankSet
	for _, r := range owned {
		if r >= size && r < from {
			out = append(out, r)
		}
	}
	return out
}

// reread reads the target again after the status write that came before the size write, so
// the size write's resourceVersion guard covers only the moment between a read and a write,
// as before that status write: a target written often (the operator writes status.size
// after each resize) would otherwise conflict on every try. A target whose size changed
// since the decision is a conflict: the pass runs again on fresh numbers.
func (p *pass) reread(ctx context.Context, o *outcome, decidedOn int32) error {
	fresh, err := p.r.targets.Resolve(ctx, p.sp.Namespace, p.sp.Spec.TargetRef)
	if err != nil {
		return fmt.Errorf("reading the target again before writing its size: %w", err)
	}
	info := fresh.Info()
	if info.Current != decidedOn {
		return apierrors.NewConflict(schema.GroupResource{Resource: string(info.Kind)}, info.Name,
			fmt.Errorf("its size changed from %d to %d since it was read", decidedOn, info.Current))
	}
	*o.target = *info // the outcome keeps pointing at the sizes it reports
	p.tgt = fresh
	return nil
}

// outsideDrainPlan refuses, in Drain mode, a size that would remove a rank Flux shows up and
// not both drained and idle: that would kill the jobs on it. Policy never plans one; this
// guards every path that writes a size, the restore of a refused spec.size included, against
// numbers other than the ones it planned on. Without per-rank state only the ranks whose
// pods run count.
func outsideDrainPlan(o *outcome, spec *v1alpha1.ScalingPolicySpec, size int32) error {
	if spec.ScaleDown.Mode != "" && spec.ScaleDown.Mode != v1alpha1.ScaleDownDrain {
		return nil
	}
	st := o.flux.state
	var atRisk flux.RankSet
	if st != nil && st.PerRank {
		for _, rk := range st.Ranks {
			if rk.Rank >= size && rk.Online && (rk.Drain == "" || rk.Allocated) {
				atRisk = append(atRisk, rk.Rank)
			}
		}
	} else {
		for r := size; r < o.target.Live; r++ {
			atRisk = append(atRisk, r)
		}
	}
	if len(atRisk) == 0 {
		return nil
	}
	return fmt.Errorf("refusing to scale %s %s to %d: ranks %s are up and not drained and idle, and scaleDown.mode "+
		"Drain never removes those; they are drained first", o.target.Kind, o.target.Name, size, flux.NewRankSet(atRisk...))
}
