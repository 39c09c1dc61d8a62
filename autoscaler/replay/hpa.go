package replay

import (
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

// hpaSyncPeriod is the HPA controller's default --horizontal-pod-autoscaler-sync-period.
const hpaSyncPeriod = 15 * time.Second

// NewHPAScaler mirrors a HorizontalPodAutoscaler on the MiniCluster driven by flux-metrics-api:
// an Object metric job_queue_state_sched_count with target type AverageValue 1, i.e. one
// pending job per pod. For AverageValue, HPA divides the metric by the pod count before the
// ratio (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details:
// desiredReplicas = ceil[currentReplicas * (currentMetricValue / desiredMetricValue)]), so
// desired = ceil(pending jobs / 1), whatever the jobs' sizes and however many nodes are
// busy; 0 pending means minReplicas. Changes within HPA's default 10 % tolerance are skipped.
// HPA's default behavior (up: +100 % or +4 pods per 15 s; down: 300 s window, -100 % per
// 15 s) comes from policy's own HPA behavior code (Behavior left to its defaults), it syncs
// every 15 s, reacts to no event, and shrinks by removing the highest pods at once: Flux
// jobs on them are killed (ScaleDown Immediate), since HPA knows nothing of Flux ranks.
func NewHPAScaler(label string, minSize, maxSize int32) *PolicyScaler {
	upTol, downTol := resource.MustParse("0.1"), resource.MustParse("0.1")
	spec := v1alpha1.ScalingPolicySpec{
		MinSize: minSize,
		MaxSize: maxSize,
		Policies: []v1alpha1.PolicySpec{{
			Type: v1alpha1.PolicyQueueDepth, QueueDepth: &v1alpha1.QueueDepthPolicy{PendingJobsPerNode: 1},
		}},
		Hints: v1alpha1.HintsSpec{Enabled: ptr.To(false)},
		Behavior: &v1alpha1.ScalingBehavior{
			ScaleUp:   &v1alpha1.ScalingRules{Tolerance: &upTol},
			ScaleDown: &v1alpha1.ScalingRules{Tolerance: &downTol},
		},
		ScaleDown: v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownImmediate},
	}
	p := NewPolicyScaler(label, spec)
	p.cadence = Cadence{Period: hpaSyncPeriod}
	p.view = hpaView
	return p
}

// hpaView is all the HPA sees: the SCHED count, as flux-metrics-api's
// job_queue_state_sched_count. With no per-rank state and no busy nodes, policy's
// QueueDepth with one pending job per node recommends exactly ceil(pending / 1).
func hpaView(s flux.State) *policy.FluxState {
	return &policy.FluxState{Counts: policy.QueueCounts{Sched: s.Counts.Sched}}
}
