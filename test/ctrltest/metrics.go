package ctrltest

import "testing"

// Counter sums a counter, or a histogram's sample count, of the policy from the
// controller's registry.
func (c *Controller) Counter(t *testing.T, name, policy string) uint64 {
	t.Helper()
	n, _ := c.Metric(t, name, policy)
	return n
}

// Metric sums a counter, or a histogram's sample count and sum, of the policy from the
// controller's registry, read at once.
func (c *Controller) Metric(t *testing.T, name, policy string) (count uint64, sum float64) {
	t.Helper()
	families, err := c.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !hasLabel(m.GetLabel(), "policy", policy) {
				continue
			}
			if h := m.GetHistogram(); h != nil {
				count += h.GetSampleCount()
				sum += h.GetSampleSum()
			}
			if c := m.GetCounter(); c != nil {
				count += uint64(c.GetValue())
			}
		}
	}
	return count, sum
}

// hasLabel reports whether labels hold name=value.
func hasLabel[L interface {
	GetName() string
	GetValue() string
}](labels []L, name, value string) bool {
	for _, l := range labels {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}
