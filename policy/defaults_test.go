package policy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

func TestDefaulted(t *testing.T) {
	zero := resource.MustParse("0")
	hpaUp := func() *v1alpha1.ScalingRules {
		return &v1alpha1.ScalingRules{
			StabilizationWindowSeconds: ptr[int32](0), SelectPolicy: ptr(v1alpha1.SelectMax),
			Policies: []v1alpha1.ScalingRatePolicy{percent(100, 15), pods(4, 15)}, Tolerance: &zero,
		}
	}
	hpaDown := func() *v1alpha1.ScalingRules {
		return &v1alpha1.ScalingRules{
			StabilizationWindowSeconds: ptr[int32](300), SelectPolicy: ptr(v1alpha1.SelectMax),
			Policies: []v1alpha1.ScalingRatePolicy{percent(100, 15)}, Tolerance: &zero,
		}
	}
	all := func(maxSize int32) v1alpha1.ScalingPolicySpec {
		return v1alpha1.ScalingPolicySpec{
			MinSize: 1, MaxSize: maxSize,
			Flux:                v1alpha1.FluxSource{Source: v1alpha1.SourceExec, TimeoutSeconds: 10},
			Policies:            []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyQueueDepth}},
			Combine:             v1alpha1.CombineMax,
			Hints:               v1alpha1.HintsSpec{Enabled: ptr(true), Mode: v1alpha1.HintFloor, MaxTTLSeconds: 3600},
			Behavior:            &v1alpha1.ScalingBehavior{ScaleUp: hpaUp(), ScaleDown: hpaDown()},
			ScaleDown:           v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownDrain},
			Fallback:            v1alpha1.FallbackSpec{AfterSeconds: 180, Action: v1alpha1.FallbackHold},
			PollIntervalSeconds: 10,
		}
	}
	cases := []struct {
		name string
		in   v1alpha1.ScalingPolicySpec
		want v1alpha1.ScalingPolicySpec
	}{{
		name: "everything unset",
		in:   v1alpha1.ScalingPolicySpec{MaxSize: 8},
		want: all(8),
	}, {
		name: "set values stay; unset parts of a direction take HPA's defaults",
		in: v1alpha1.ScalingPolicySpec{
			MinSize: 2, MaxSize: 8, Combine: v1alpha1.CombineMin,
			Hints:    v1alpha1.HintsSpec{Mode: v1alpha1.HintExact},
			Behavior: &v1alpha1.ScalingBehavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr[int32](60)}},
		},
		want: func() v1alpha1.ScalingPolicySpec {
			s := all(8)
			s.MinSize, s.Combine = 2, v1alpha1.CombineMin
			// Enabled unset means true even when another hints field is set.
			s.Hints = v1alpha1.HintsSpec{Enabled: ptr(true), Mode: v1alpha1.HintExact, MaxTTLSeconds: 3600}
			s.Behavior.ScaleDown.StabilizationWindowSeconds = ptr[int32](60)
			return s
		}(),
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Defaulted(tc.in)
			if diff := cmp.Diff(tc.want, got, quantityEqual); diff != "" {
				t.Errorf("Defaulted (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultedSharesNothing: changing the result leaves the input as it was.
func TestDefaultedSharesNothing(t *testing.T) {
	in := v1alpha1.ScalingPolicySpec{MaxSize: 8, Behavior: &v1alpha1.ScalingBehavior{
		ScaleUp: &v1alpha1.ScalingRules{Policies: []v1alpha1.ScalingRatePolicy{pods(1, 60)}},
	}}
	before := in.DeepCopy()
	out := Defaulted(in)
	out.Behavior.ScaleUp.Policies[0].Value = 99
	*out.Behavior.ScaleUp.StabilizationWindowSeconds = 99
	if diff := cmp.Diff(before, &in, quantityEqual); diff != "" {
		t.Errorf("input changed (-before +after):\n%s", diff)
	}
}

// TestDecideAppliesTheSameDefaults: a spec decides the same before and after Defaulted
// (the fuzz test checks this over random specs too).
func TestDecideAppliesTheSameDefaults(t *testing.T) {
	in := makeInput(6, 10).alloc(0, 1).pending(1).obj()
	in.Spec = v1alpha1.ScalingPolicySpec{MaxSize: 10}
	in.History.Recommendations = []TimedSize{{Time: t0.Add(-100 * time.Second), Size: 6}}
	a := Decide(in)
	in.Spec = Defaulted(in.Spec)
	b := Decide(in)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("Decide differs after Defaulted (-raw +defaulted):\n%s", diff)
	}
	if a.Desired != 6 || a.Limit != v1alpha1.ReasonScaleDownStabilized {
		t.Errorf("Desired, Limit = %d, %s; want 6, ScaleDownStabilized by the default 300 s window", a.Desired, a.Limit)
	}
}
