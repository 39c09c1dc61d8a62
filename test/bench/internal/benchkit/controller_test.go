package benchkit

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// The first decisions must count policies, not decisions: a policy decided three times
// counts once, and policies of the same name in two namespaces count twice.
func TestPoliciesCountsDistinctPolicies(t *testing.T) {
	reg := prometheus.NewRegistry()
	decisions := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fluxscale_decisions_total"},
		[]string{"namespace", "policy", "reason"})
	reg.MustRegister(decisions)
	decisions.WithLabelValues("bench", "a", "DesiredWithinRange").Add(2)
	decisions.WithLabelValues("bench", "a", "ScaleUpLimit").Inc()
	decisions.WithLabelValues("bench", "b", "DesiredWithinRange").Inc()
	decisions.WithLabelValues("other", "a", "DesiredWithinRange").Inc()
	decisions.WithLabelValues("bench", "c", "DesiredWithinRange") // a series at 0: not decided
	c := &Controller{Registry: reg}

	got, err := c.Policies("fluxscale_decisions_total")
	if err != nil {
		t.Fatal(err)
	}
	if got != 3 {
		t.Errorf("Policies = %d, want 3 (bench/a, bench/b, other/a)", got)
	}
	sum, err := c.Counter("fluxscale_decisions_total")
	if err != nil {
		t.Fatal(err)
	}
	if sum != 5 {
		t.Errorf("Counter = %v, want 5 decisions", sum)
	}
}

func TestHistogramSumAddsEveryLabelSet(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "fluxscale_reconcile_duration_seconds"}, []string{"trigger"})
	reg.MustRegister(h)
	h.WithLabelValues("a").Observe(0.5)
	h.WithLabelValues("a").Observe(1)
	h.WithLabelValues("b").Observe(2)
	sum, count, err := (&Controller{Registry: reg}).HistogramSum("fluxscale_reconcile_duration_seconds")
	if err != nil {
		t.Fatal(err)
	}
	if sum != 3.5 || count != 3 {
		t.Errorf("HistogramSum = %v, %d; want 3.5, 3", sum, count)
	}
}
