package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

func TestUtilization(t *testing.T) {
	flux := makeInput(4, 10).alloc(0, 1, 2).obj().Flux
	cases := []struct {
		name string
		spec *v1alpha1.UtilizationPolicy
		sig  signals
		want outcome
	}{{
		name: "free nodes: busy + target",
		spec: &v1alpha1.UtilizationPolicy{TargetFreeNodes: ptr[int32](2)},
		sig:  signals{current: 4, fluxWanted: true, flux: flux},
		want: outcome{ok: true, rec: Recommendation{Policy: "Utilization", Size: 5, Reason: "3 busy + 2 free nodes"}},
	}, {
		// HPA's ratio: ceil(4 * 90/60) = 6.
		name: "CPU: current scaled by use/target, rounded up",
		spec: &v1alpha1.UtilizationPolicy{TargetCPUPercent: ptr[int32](60)},
		sig:  signals{current: 4, pods: &PodUsage{CPUPercent: 90, Pods: 4}},
		want: outcome{ok: true, rec: Recommendation{Policy: "Utilization", Size: 6, Reason: "CPU 90% of target 60% on 4 nodes"}},
	}, {
		name: "CPU below target shrinks",
		spec: &v1alpha1.UtilizationPolicy{TargetCPUPercent: ptr[int32](80)},
		sig:  signals{current: 10, pods: &PodUsage{CPUPercent: 20, Pods: 10}},
		want: outcome{ok: true, rec: Recommendation{Policy: "Utilization", Size: 3, Reason: "CPU 20% of target 80% on 10 nodes"}},
	}, {
		name: "both: the larger",
		spec: &v1alpha1.UtilizationPolicy{TargetFreeNodes: ptr[int32](1), TargetCPUPercent: ptr[int32](60)},
		sig:  signals{current: 4, fluxWanted: true, flux: flux, pods: &PodUsage{CPUPercent: 90, Pods: 4}},
		want: outcome{ok: true, rec: Recommendation{Policy: "Utilization", Size: 6, Reason: "CPU 90% of target 60% on 4 nodes"}},
	}, {
		name: "CPU without pod metrics: missing",
		spec: &v1alpha1.UtilizationPolicy{TargetCPUPercent: ptr[int32](60)},
		sig:  signals{current: 4},
		want: outcome{missing: true, rec: Recommendation{Policy: "Utilization"}},
	}, {
		name: "free nodes on stale Flux, CPU known: a size, marked missing",
		spec: &v1alpha1.UtilizationPolicy{TargetFreeNodes: ptr[int32](1), TargetCPUPercent: ptr[int32](50)},
		sig:  signals{current: 4, fluxWanted: true, pods: &PodUsage{CPUPercent: 25, Pods: 4}},
		want: outcome{ok: true, missing: true, rec: Recommendation{Policy: "Utilization", Size: 2, Reason: "CPU 25% of target 50% on 4 nodes"}},
	}, {
		name: "free nodes with source None: nothing to say",
		spec: &v1alpha1.UtilizationPolicy{TargetFreeNodes: ptr[int32](1)},
		sig:  signals{current: 4},
		want: outcome{rec: Recommendation{Policy: "Utilization"}},
	}, {
		name: "no target: a problem",
		spec: &v1alpha1.UtilizationPolicy{},
		want: outcome{problems: []string{"a Utilization policy needs utilization.targetFreeNodes or utilization.targetCPUPercent: set one"}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := utilization{spec: tc.spec}.recommend(&tc.sig)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(outcome{})); diff != "" {
				t.Errorf("recommend (-want +got):\n%s", diff)
			}
		})
	}
}
