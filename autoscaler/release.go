package autoscaler

import (
	"context"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
)

// releasePassive gives back the ranks a policy drained before it went passive (dryRun, or
// flux.source None): a passive policy owns no drain, and nothing else would ever undrain
// them. With flux.source None the client of the policy's previous source is used; after a
// restart there is none, and the ranks stay owned and reported as stranded.
func (p *pass) releasePassive(ctx context.Context, o *outcome, src source.Source, spec *v1alpha1.ScalingPolicySpec) {
	fc := src.Flux
	if fc == nil {
		fc = p.r.sources.Previous(p.key)
	}
	if fc == nil {
		o.stranded = true
		return
	}
	st := o.flux.state
	if !o.flux.fresh {
		st = nil // read afresh: Flux refuses to undrain ranks that are not drained
	}
	released, err := undrainOwned(ctx, fc, o.owned, st, time.Duration(spec.Flux.TimeoutSeconds)*time.Second)
	if err != nil {
		o.drainErr = err
		return
	}
	o.owned, o.drainStart = nil, time.Time{}
	o.undrained, o.releasedPassive = released, true
}
