package policy

import (
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// settings is the spec resolved for one decision: the CRD's and HPA's defaults applied
// (the same ones Defaulted applies) and the bounds made consistent, read without copying
// the spec.
type settings struct {
	// lo and hi bound every Desired. hi is min(maxSize, TargetMax when > 0), at least 1;
	// lo is minSize (at least 1), lowered to hi when the target's own max is smaller,
	// because the target rejects any size above its max.
	lo, hi int32
	// maxSize is spec.maxSize, to tell which bound capped the size.
	maxSize int32

	combine        v1alpha1.CombineMode
	hintsEnabled   bool
	hintMode       v1alpha1.HintMode
	up, down       rules
	mode           v1alpha1.ScaleDownMode
	drainTimeout   time.Duration
	fallbackAfter  time.Duration
	fallbackAction v1alpha1.FallbackAction
	fallbackSize   int32
	source         v1alpha1.FluxSourceType
	// policies is never empty: an empty spec list means one QueueDepth policy.
	policies []v1alpha1.PolicySpec
	dryRun   bool
}

// rules is one direction of the behavior with HPA's defaults applied.
type rules struct {
	windowSeconds int64
	selectPolicy  v1alpha1.SelectPolicy
	policies      []v1alpha1.ScalingRatePolicy
	tolerance     float64
}

// resolve reads spec the way Decide needs it.
func resolve(spec *v1alpha1.ScalingPolicySpec, targetMax int32) settings {
	s := settings{
		lo:             max(spec.MinSize, defaultMinSize),
		hi:             spec.MaxSize,
		maxSize:        spec.MaxSize,
		combine:        spec.Combine,
		hintsEnabled:   spec.Hints.IsEnabled(),
		hintMode:       spec.Hints.Mode,
		mode:           spec.ScaleDown.Mode,
		drainTimeout:   seconds(int64(spec.ScaleDown.DrainTimeoutSeconds)),
		fallbackAfter:  seconds(int64(spec.Fallback.AfterSeconds)),
		fallbackAction: spec.Fallback.Action,
		source:         spec.Flux.Source,
		policies:       spec.Policies,
		dryRun:         spec.DryRun,
	}
	if targetMax > 0 && targetMax < s.hi {
		s.hi = targetMax
	}
	s.hi = max(s.hi, 1)
	s.lo = min(s.lo, s.hi)
	if s.combine == "" {
		s.combine = v1alpha1.CombineMax
	}
	if s.hintMode == "" {
		s.hintMode = v1alpha1.HintFloor
	}
	if s.mode == "" {
		s.mode = v1alpha1.ScaleDownDrain
	}
	if spec.Fallback.AfterSeconds == 0 {
		s.fallbackAfter = seconds(defaultFallbackSeconds)
	}
	if s.fallbackAction == "" {
		s.fallbackAction = v1alpha1.FallbackHold
	}
	if spec.Fallback.Size != nil {
		s.fallbackSize = *spec.Fallback.Size
	}
	if s.source == "" {
		s.source = v1alpha1.SourceExec
	}
	if len(s.policies) == 0 {
		s.policies = []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyQueueDepth}}
	}
	var up, down *v1alpha1.ScalingRules
	if spec.Behavior != nil {
		up, down = spec.Behavior.ScaleUp, spec.Behavior.ScaleDown
	}
	s.up = resolveRules(up, scaleUpDefaults())
	s.down = resolveRules(down, scaleDownDefaults())
	return s
}

// resolveRules applies d to the unset parts of r (see defaultedRules for the tolerance).
func resolveRules(r *v1alpha1.ScalingRules, d ruleDefaults) rules {
	out := rules{
		windowSeconds: int64(d.windowSeconds),
		selectPolicy:  v1alpha1.SelectMax,
		policies:      d.policies,
	}
	if r == nil {
		return out
	}
	if r.StabilizationWindowSeconds != nil {
		out.windowSeconds = max(int64(*r.StabilizationWindowSeconds), 0)
	}
	if r.SelectPolicy != nil {
		out.selectPolicy = *r.SelectPolicy
	}
	if len(r.Policies) > 0 {
		out.policies = r.Policies
	}
	if r.Tolerance != nil {
		out.tolerance = max(r.Tolerance.AsApproximateFloat64(), 0)
	}
	return out
}

// longestPeriod is the longest rate-policy period of r, in seconds.
func (r rules) longestPeriod() int64 {
	var p int64
	for _, rp := range r.policies {
		p = max(p, int64(rp.PeriodSeconds))
	}
	return p
}

// seconds converts whole seconds to a Duration without overflowing.
func seconds(s int64) time.Duration {
	const limit = int64(1<<63-1) / int64(time.Second)
	return time.Duration(min(max(s, 0), limit)) * time.Second
}
