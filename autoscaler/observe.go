package autoscaler

import (
	"strconv"

	"k8s.io/apimachinery/pkg/types"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
)

// observe updates the policy's Prometheus series from one reconcile.
func (r *Reconciler) observe(key types.NamespacedName, o *outcome, st *v1alpha1.ScalingPolicyStatus) {
	m, ns, name := r.metrics, key.Namespace, key.Name
	m.Conditions(ns, name, st.Conditions)
	if o.targetProblem != nil {
		m.Error(ns, name, controllermetrics.SourceTarget)
		return
	}
	if o.decision == nil {
		return
	}
	m.Sizes(ns, name, st.CurrentSize, st.DesiredSize)
	m.Decision(ns, name, o.decision.Limit)
	if o.pods.err != nil {
		m.Error(ns, name, controllermetrics.SourcePods)
	}
	for _, s := range st.Signals {
		if !s.Healthy {
			continue
		}
		if v, err := strconv.ParseFloat(numericPrefix(s.Value), 64); err == nil {
			m.Signal(ns, name, s.Name, v)
		}
	}
}

// numericPrefix is the leading number of a signal value ("42% over 3 pods" -> "42").
func numericPrefix(s string) string {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == '-') {
		i++
	}
	return s[:i]
}
