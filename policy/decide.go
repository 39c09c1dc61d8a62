package policy

import (
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// Decide computes what to do now from in alone: the same input always gives the same
// Decision, and nothing is read from outside (no clock, client or log).
//
// The steps run in this order, each seeing the size the previous one produced:
//
//  1. recommend: each policy in spec order; policies lacking the data they need are left out
//  2. combine: Max (default) or Min; with no recommendation, minSize, or Current when a
//     policy lacked data (never shrink on partial signals, as HPA does with invalid metrics)
//  3. tolerance: a change of the combined recommendation within the direction's tolerance
//     keeps Current, except a scale-up while pending jobs fit within the max size
//  4. stabilize: HPA windows over the recorded recommendations; with none on record, the
//     current size at now is recorded first (HPA's recordInitialRecommendation), so a new
//     policy never shrinks its target inside the scale-down window
//  5. rate-limit: HPA policies over the recorded scale events
//  6. hints: Exact sets, Floor raises; both bypass steps 4-5 while in force, and the
//     hinted size is recorded for step 4, so an expired hint steps down through the window
//  7. fallback: after Flux state has been missing for fallback.afterSeconds
//  8. clamp: [minSize, min(maxSize, TargetMax)]
//  9. stale hold: no shrink on stale or missing Flux state
//  10. shrink plan: Drain the top ranks and shrink once they are idle, Immediate, or Never;
//     in Drain mode, ranks above what the policies want now are drained while the
//     scale-down window still holds the size, so no new job lands on them
//
// Decision.History is the bounded history to store for the next call.
func Decide(in Input) Decision {
	s := resolve(&in.Spec, in.TargetMax)
	d := decider{
		in:      &in,
		s:       &s,
		nowSec:  in.Now.Truncate(time.Second),
		nowUnix: in.Now.Unix(),
		current: max(in.Current, 0),
	}
	d.fluxWanted = s.source != v1alpha1.SourceNone
	d.stale = d.fluxWanted && (in.Flux == nil || !in.FluxFresh)
	if d.fluxWanted && !d.stale {
		d.flux = in.Flux
	}
	if s.hintsEnabled {
		d.hints = activeHints(&in, s.hintMode)
	}
	return d.decide()
}

// decider carries one decision through its steps.
type decider struct {
	in *Input
	s  *settings
	// nowSec is Now in whole seconds, the resolution history is stored at; nowUnix the
	// same in Unix seconds, which window checks compare with a time's Unix() (whole seconds,
	// rounded down, like Truncate) because that is much cheaper than truncating.
	nowSec  time.Time
	nowUnix int64
	current int32
	// fluxWanted is false for flux.source None; stale when wanted but missing or old.
	fluxWanted, stale bool
	// flux is the Flux state policies may use: nil unless wanted and fresh.
	flux *FluxState
	// hints are the hints in force (read only when hints are enabled).
	hints hintSet
	// blind is true when some policy lacked the data it needs.
	blind bool
	// wanted is what the policies and hints in force ask for now, before the windows and
	// rate limits: the shrink plan drains the ranks above it early (see earlyDrainFrom).
	wanted int32
	// waitsAtMax names a pending job that cannot start even at the max size (QueueDepth).
	waitsAtMax string

	steps steps
	out   Decision
}

func (d *decider) decide() Decision {
	d.seedHistory()
	size := d.recommend()
	size = d.combineHold(size)
	size = d.tolerate(size)
	// The windows record what the policies and the hints in force asked for, not Desired:
	// a drain that waits or a fallback never makes a window remember a size nobody wanted,
	// and every decision records one, so a long drain keeps the window current. Hints are
	// recorded so that an expired one steps down through the scale-down window; they still
	// bypass the windows and rate limits while in force (step 6).
	recorded := d.hinted(size)
	d.wanted = recorded
	size = d.stabilize(size)
	size = d.rateLimit(size)
	size = d.applyHints(size)
	size = d.applyFallback(size)
	size = d.clamp(size)
	size = d.holdIfStale(size)
	d.planShrink(size)
	d.recheckTimers()
	d.out.History = d.history(recorded)
	if d.steps.limit == "" && d.waitsAtMax != "" {
		// QueueDepth planned within the max size, so the clamp did not cut its size, but
		// the max size is still what keeps the head job waiting: say so, as the clamp would.
		reason := v1alpha1.ReasonTooManyReplicas
		if d.s.hi < d.s.maxSize {
			reason = v1alpha1.ReasonTargetMaxSize
		}
		d.steps.limited(reason, "%s cannot start within the max size %d until running jobs end", d.waitsAtMax, d.s.hi)
	}
	if d.steps.limit == "" && len(d.out.Unsatisfiable) > 0 {
		d.steps.limited(v1alpha1.ReasonUnsatisfiableIgnored,
			"%d pending jobs ask for more than the max size %d and can never run: ignored",
			len(d.out.Unsatisfiable), d.s.hi)
	}
	d.out.Limit = d.steps.reason()
	d.out.Message = d.steps.msg.String()
	return d.out
}
