package policy

import (
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// Defaults the CRD applies (kubebuilder:default markers in api/v1alpha1), repeated here so
// that specs built in Go (the simulator, tests) decide like specs read from the API server.
const (
	defaultMinSize             = 1
	defaultHintTTLSeconds      = 3600
	defaultFallbackSeconds     = 180
	defaultPollSeconds         = 10
	defaultFluxTimeoutSeconds  = 10
	defaultScaleUpWindowSecs   = 0
	defaultScaleDownWindowSecs = 300
)

// Defaulted returns spec with the CRD's defaults applied (minSize 1, flux.source Exec,
// one QueueDepth policy when none, combine Max, hints {enabled, Floor, 3600 s}, scaleDown
// Drain, fallback {180 s, Hold}, poll 10 s) and HPA's behavior defaults filled in wherever
// Behavior or one of its parts is nil. spec is not modified; the result shares no memory
// with it.
//
// hints.enabled is a plain bool, so "unset" cannot be told from false: like the CRD's
// object default, Enabled becomes true only when the whole Hints block is zero.
func Defaulted(spec v1alpha1.ScalingPolicySpec) v1alpha1.ScalingPolicySpec {
	out := *spec.DeepCopy()
	if out.MinSize == 0 {
		out.MinSize = defaultMinSize
	}
	if out.Flux.Source == "" {
		out.Flux.Source = v1alpha1.SourceExec
	}
	if out.Flux.TimeoutSeconds == 0 {
		out.Flux.TimeoutSeconds = defaultFluxTimeoutSeconds
	}
	if len(out.Policies) == 0 {
		out.Policies = []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyQueueDepth}}
	}
	if out.Combine == "" {
		out.Combine = v1alpha1.CombineMax
	}
	if out.Hints.Enabled == nil {
		enabled := true
		out.Hints.Enabled = &enabled
	}
	if out.Hints.Mode == "" {
		out.Hints.Mode = v1alpha1.HintFloor
	}
	if out.Hints.MaxTTLSeconds == 0 {
		out.Hints.MaxTTLSeconds = defaultHintTTLSeconds
	}
	if out.Behavior == nil {
		out.Behavior = &v1alpha1.ScalingBehavior{}
	}
	out.Behavior.ScaleUp = defaultedRules(out.Behavior.ScaleUp, scaleUpDefaults())
	out.Behavior.ScaleDown = defaultedRules(out.Behavior.ScaleDown, scaleDownDefaults())
	if out.ScaleDown.Mode == "" {
		out.ScaleDown.Mode = v1alpha1.ScaleDownDrain
	}
	if out.Fallback.AfterSeconds == 0 {
		out.Fallback.AfterSeconds = defaultFallbackSeconds
	}
	if out.Fallback.Action == "" {
		out.Fallback.Action = v1alpha1.FallbackHold
	}
	if out.PollIntervalSeconds == 0 {
		out.PollIntervalSeconds = defaultPollSeconds
	}
	return out
}

// ruleDefaults are HPA's defaults for one direction.
type ruleDefaults struct {
	windowSeconds int32
	policies      []v1alpha1.ScalingRatePolicy
}

// scaleUpDefaults are HPA's scale-up defaults: no window, the larger of +100 % and +4 pods
// per 15 s (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#default-behavior).
func scaleUpDefaults() ruleDefaults {
	return ruleDefaults{
		windowSeconds: defaultScaleUpWindowSecs,
		policies: []v1alpha1.ScalingRatePolicy{
			{Type: v1alpha1.RatePercent, Value: 100, PeriodSeconds: 15},
			{Type: v1alpha1.RatePods, Value: 4, PeriodSeconds: 15},
		},
	}
}

// scaleDownDefaults are HPA's scale-down defaults: a 300 s window, -100 % per 15 s.
func scaleDownDefaults() ruleDefaults {
	return ruleDefaults{
		windowSeconds: defaultScaleDownWindowSecs,
		policies: []v1alpha1.ScalingRatePolicy{
			{Type: v1alpha1.RatePercent, Value: 100, PeriodSeconds: 15},
		},
	}
}

// defaultedRules fills the nil parts of r (already a private copy) from d.
//
// Tolerance defaults to 0, not HPA's 10 %. HPA documents that an unset per-direction
// tolerance falls back to the cluster-wide --horizontal-pod-autoscaler-tolerance, 0.1 by
// default (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#tolerance).
// Our recommendations are node counts, not metric ratios: 10 % would ignore a one-node
// job on a ten-node cluster, so a tolerance is only applied when the user asks for one.
func defaultedRules(r *v1alpha1.ScalingRules, d ruleDefaults) *v1alpha1.ScalingRules {
	if r == nil {
		r = &v1alpha1.ScalingRules{}
	}
	if r.StabilizationWindowSeconds == nil {
		w := d.windowSeconds
		r.StabilizationWindowSeconds = &w
	}
	if r.SelectPolicy == nil {
		p := v1alpha1.SelectMax
		r.SelectPolicy = &p
	}
	if len(r.Policies) == 0 {
		r.Policies = d.policies
	}
	if r.Tolerance == nil {
		r.Tolerance = resource.NewQuantity(0, resource.DecimalSI)
	}
	return r
}
