package autoscaler

import (
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
)

// fence records that this pass drained or undrained ranks: until Flux state observed after
// now arrives, no shrink (item 4 of issue 19: an agent serves a cached snapshot, and one
// taken before an undrain shows as idle ranks Flux may just have placed jobs on).
func (p *pass) fence(o *outcome) {
	var version uint64
	if o.flux.state != nil {
		version = o.flux.state.Version
	}
	p.r.memory.SetFence(p.key, source.Fence{At: p.r.clock.Now(), Version: version})
}

// fresherThanFence reports whether this pass's Flux state was observed after the policy's last
// drain or undrain, which a Drain-mode shrink needs. With no drain or undrain on record in
// this process there is nothing to fence. A streamed state never is: it is stamped when its
// line arrived, and the program may have read it before the drain (delivered.go).
func (p *pass) fresherThanFence(o *outcome, spec *v1alpha1.ScalingPolicySpec) bool {
	if spec.ScaleDown.Mode != "" && spec.ScaleDown.Mode != v1alpha1.ScaleDownDrain {
		return true
	}
	f, ok := p.r.memory.Fence(p.key)
	if !ok {
		return true
	}
	return o.flux.fresh && !p.streamed && o.flux.state != nil && f.After(*o.flux.state)
}

// observedAt is when this pass's Flux state was observed, for messages.
func observedAt(o *outcome) string {
	if o.flux.state == nil {
		return "never"
	}
	return o.flux.state.ObservedAt.UTC().Format(time.RFC3339Nano)
}
