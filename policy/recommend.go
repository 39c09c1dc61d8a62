package policy

import (
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// recommender is one policy: it turns the signals into a size, or says why it has none.
type recommender interface {
	recommend(s *signals) outcome
}

// signals are what policies read.
type signals struct {
	now     time.Time
	current int32
	// hi is the effective max size: pending jobs larger than it are unsatisfiable.
	hi int32
	// fluxWanted is false for flux.source None; flux is nil unless wanted and fresh.
	fluxWanted bool
	flux       *FluxState
	pods       *PodUsage
	// hint is the size the hints in force set (0: none); exprs the compiled formulas.
	hint  int32
	exprs *Expressions
	// external are the External policies' readings by policy index.
	external map[int]ExternalReading
	// index is the policy being asked, lo minSize.
	index int
	lo    int32
	// owned are the ranks the controller drained (Input.Draining), removed those a shrink
	// took (Input.Removed): the shrink plan undrains the others once the size needs them.
	owned, removed []int32
}

// outcome is one policy's answer. The zero outcome means the policy has nothing to ask
// for (a closed schedule, no Flux source by design).
type outcome struct {
	// ok is true when rec holds a size.
	ok  bool
	rec Recommendation
	// missing is true when the policy lacked data it needs (stale Flux state, no pod
	// metrics): what it would have said is unknown, so no shrink may rest on the others.
	missing bool
	// unsatisfiable are pending jobs larger than the effective max (QueueDepth).
	unsatisfiable []string
	// problems are spec errors that made part of the policy skip (Schedule).
	problems []string
	// notes explain a missing recommendation in the decision's message (Expression).
	notes []string
	// waiting says which pending job cannot start even at the max size until running
	// jobs end (QueueDepth's plan): the max size is what holds it back.
	waiting string
}

// recommenderFor builds the policy p describes; nil for an unknown type.
func recommenderFor(p *v1alpha1.PolicySpec) recommender {
	switch p.Type {
	case v1alpha1.PolicyQueueDepth:
		q := queueDepth{}
		if p.QueueDepth != nil {
			q.pendingJobsPerNode = p.QueueDepth.PendingJobsPerNode
		}
		return q
	case v1alpha1.PolicyUtilization:
		return utilization{spec: p.Utilization}
	case v1alpha1.PolicySchedule:
		return schedule{windows: p.Schedule}
	case v1alpha1.PolicyExpression:
		return expressionPolicy{spec: p.Expression}
	case v1alpha1.PolicyExternal:
		return externalPolicy{spec: p.External}
	}
	return nil
}

// recommend runs every policy (step 1) and combines their sizes (step 2). It sets d.blind
// when some policy lacked its data.
func (d *decider) recommend() int32 {
	sig := signals{
		now:        d.in.Now,
		current:    d.current,
		hi:         d.s.hi,
		fluxWanted: d.fluxWanted,
		flux:       d.flux,
		pods:       d.in.Pods,
		exprs:      d.in.Expressions,
		external:   d.in.External,
		lo:         d.s.lo,
		owned:      d.in.Draining,
		removed:    d.in.Removed,
	}
	if d.s.hintsEnabled {
		sig.hint = d.hints.apply(0)
	}
	d.out.Recommendations = make([]Recommendation, 0, len(d.s.policies)+2)
	var combined int32
	var have bool
	for i := range d.s.policies {
		p := &d.s.policies[i]
		r := recommenderFor(p)
		if r == nil {
			d.out.Problems = append(d.out.Problems,
				"policy "+string(p.Type)+" is unknown: use QueueDepth, Utilization, Schedule, Expression or External")
			continue
		}
		sig.index = i
		o := r.recommend(&sig)
		if len(d.out.Unsatisfiable) == 0 {
			// Every QueueDepth policy finds the same jobs: report them once.
			d.out.Unsatisfiable = o.unsatisfiable
		}
		d.out.Problems = append(d.out.Problems, o.problems...)
		for _, n := range o.notes {
			d.steps.note("%s", n)
		}
		d.blind = d.blind || o.missing
		if d.waitsAtMax == "" {
			d.waitsAtMax = o.waiting
		}
		if !o.ok {
			continue
		}
		d.out.Recommendations = append(d.out.Recommendations, o.rec)
		if have {
			combined = combine(d.s.combine, combined, o.rec.Size)
		} else {
			combined, have = o.rec.Size, true
		}
	}
	if !have {
		if d.blind {
			d.steps.limited(v1alpha1.ReasonStaleDataHold,
				"no policy could recommend (signals missing): holding %d", d.current)
			return d.current
		}
		d.steps.note("no policy asks for nodes: minSize %d", d.s.lo)
		return d.s.lo
	}
	d.steps.note("policies recommend %d (%s of %d)", combined, d.s.combine, len(d.out.Recommendations))
	return combined
}

// combine merges size into acc under mode.
func combine(mode v1alpha1.CombineMode, acc, size int32) int32 {
	if mode == v1alpha1.CombineMin {
		return min(acc, size)
	}
	return max(acc, size)
}

// combineHold keeps Current when a policy lacked its data and the others would shrink:
// HPA likewise refuses to scale down while some metrics are invalid.
func (d *decider) combineHold(size int32) int32 {
	if d.blind && size < d.current {
		d.steps.limited(v1alpha1.ReasonStaleDataHold,
			"a policy lacks its signals: not shrinking below current %d", d.current)
		return d.current
	}
	return size
}
