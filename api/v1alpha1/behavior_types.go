package v1alpha1

import "k8s.io/apimachinery/pkg/api/resource"

// ScalingBehavior mirrors autoscaling/v2 HorizontalPodAutoscalerBehavior: each direction has
// a stabilization window, rate policies and a tolerance. Unset fields take HPA's defaults:
// scale up with no window, by max(100 %, 4 pods) per 15 s; scale down with a 300 s window,
// by 100 % per 15 s.
type ScalingBehavior struct {
	// ScaleUp bounds growth.
	// +optional
	ScaleUp *ScalingRules `json:"scaleUp,omitempty"`
	// ScaleDown bounds shrinking.
	// +optional
	ScaleDown *ScalingRules `json:"scaleDown,omitempty"`
}

// SelectPolicy picks among rate policies.
// +kubebuilder:validation:Enum=Max;Min;Disabled
type SelectPolicy string

// Select policies, as in HPA.
const (
	SelectMax      SelectPolicy = "Max"
	SelectMin      SelectPolicy = "Min"
	SelectDisabled SelectPolicy = "Disabled"
)

// ScalingRules mirrors autoscaling/v2 HPAScalingRules.
//
// +kubebuilder:validation:XValidation:rule="!has(self.tolerance) || !quantity(string(self.tolerance)).isLessThan(quantity('0'))",message="tolerance must not be negative"
type ScalingRules struct {
	// StabilizationWindowSeconds: up takes the lowest, down the highest recommendation
	// within this many seconds.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	// +optional
	StabilizationWindowSeconds *int32 `json:"stabilizationWindowSeconds,omitempty"`
	// SelectPolicy is Max (the default), Min or Disabled.
	// +optional
	SelectPolicy *SelectPolicy `json:"selectPolicy,omitempty"`
	// Policies limit the change per period.
	// +kubebuilder:validation:MaxItems=10
	// +listType=atomic
	// +optional
	Policies []ScalingRatePolicy `json:"policies,omitempty"`
	// Tolerance skips a change whose ratio to the current size is within it (0.1 = 10 %).
	// +optional
	Tolerance *resource.Quantity `json:"tolerance,omitempty"`
}

// RatePolicyType is Pods or Percent.
// +kubebuilder:validation:Enum=Pods;Percent
type RatePolicyType string

// Rate policy types, as in HPA.
const (
	RatePods    RatePolicyType = "Pods"
	RatePercent RatePolicyType = "Percent"
)

// ScalingRatePolicy mirrors autoscaling/v2 HPAScalingPolicy.
type ScalingRatePolicy struct {
	// Type is Pods or Percent.
	Type RatePolicyType `json:"type"`
	// Value is the number of pods or the percent of the size at the period's start.
	// +kubebuilder:validation:Minimum=1
	Value int32 `json:"value"`
	// PeriodSeconds is the window the limit applies to.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1800
	PeriodSeconds int32 `json:"periodSeconds"`
}
