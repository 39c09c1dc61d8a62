package policy

import (
	"fmt"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// utilization keeps spare capacity near a target: targetFreeNodes idle nodes beside the busy
// ones, and/or a mean CPU use of targetCPUPercent of the pods' requests. With both set it
// recommends the larger size.
type utilization struct {
	spec *v1alpha1.UtilizationPolicy
}

func (u utilization) recommend(s *signals) outcome {
	if u.spec == nil || (u.spec.TargetFreeNodes == nil && u.spec.TargetCPUPercent == nil) {
		return outcome{problems: []string{
			"a Utilization policy needs utilization.targetFreeNodes or utilization.targetCPUPercent: set one"}}
	}
	o := outcome{rec: Recommendation{Policy: string(v1alpha1.PolicyUtilization)}}
	if t := u.spec.TargetFreeNodes; t != nil {
		switch {
		case !s.fluxWanted:
		case s.flux == nil:
			o.missing = true
		default:
			busy := busyNodes(s.flux)
			o.offer(toInt32(busy+int64(max(*t, 0))),
				fmt.Sprintf("%d busy + %d free nodes", busy, *t))
		}
	}
	if t := u.spec.TargetCPUPercent; t != nil && *t > 0 {
		if s.pods == nil || s.pods.Pods <= 0 {
			o.missing = true
		} else {
			// HPA's ratio: the current size scaled by use/target, rounded up.
			cpu := int64(max(s.pods.CPUPercent, 0))
			size := ceilDiv(int64(s.current)*cpu, int64(*t))
			o.offer(toInt32(size), fmt.Sprintf("CPU %d%% of target %d%% on %d nodes",
				cpu, *t, s.current))
		}
	}
	return o
}

// offer makes size the outcome's recommendation when it is the first or the larger one.
func (o *outcome) offer(size int32, reason string) {
	if o.ok && size <= o.rec.Size {
		return
	}
	o.ok = true
	o.rec.Size = size
	o.rec.Reason = reason
}
