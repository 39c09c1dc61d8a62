package policy

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// ExternalValueLimit is the largest metric value or target an External policy accepts:
// a scaler answering more is broken (or counts something other than work), and a size from
// it would only be clamped to maxSize, hiding the fault.
const ExternalValueLimit = 1e9

// ExternalReading is what an External policy's scaler answered in one pass, as numbers: the
// controller reads the scaler (metrics/external), policy only does the arithmetic.
type ExternalReading struct {
	// Active is the scaler's IsActive; false recommends minSize.
	Active bool
	// Metrics are the values and targets of the scaler's metrics (only when Active).
	Metrics []ExternalMetric
	// Err is why the scaler gave no answer (unreachable, slow); the policy then recommends
	// nothing and nothing shrinks.
	Err string
}

// ExternalMetric is one metric's value and its value per replica (KEDA's targetSize).
type ExternalMetric struct {
	Name          string
	Value, Target float64
}

// ExternalSize is the size KEDA gives for r: the sum over metrics of ceil(value / target),
// and 0 when the scaler is not active (the bounds then give minSize). A value or target that
// is not a finite number, is negative, a target of 0, or a number beyond
// ExternalValueLimit is an error naming it: no size can rest on it.
func ExternalSize(r ExternalReading) (int32, error) {
	if r.Err != "" {
		return 0, errors.New(r.Err)
	}
	if !r.Active {
		return 0, nil
	}
	if len(r.Metrics) == 0 {
		return 0, errors.New("the scaler is active but reported no metric")
	}
	var sum float64
	for _, m := range r.Metrics {
		if err := checkExternal(m.Name, "value", m.Value); err != nil {
			return 0, err
		}
		if err := checkExternal(m.Name, "target", m.Target); err != nil {
			return 0, err
		}
		if m.Target == 0 {
			return 0, fmt.Errorf("metric %q has target 0: the scaler's targetSize must be above 0", m.Name)
		}
		sum += math.Ceil(m.Value / m.Target)
	}
	if sum > math.MaxInt32 {
		return 0, fmt.Errorf("the metrics add up to %g replicas, more than any size", sum)
	}
	return int32(sum), nil
}

func checkExternal(metric, field string, v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("metric %q has %s %g, not a number of work items", metric, field, v)
	case v < 0:
		return fmt.Errorf("metric %q has negative %s %g", metric, field, v)
	case v > ExternalValueLimit:
		return fmt.Errorf("metric %q has %s %g, above the limit of %g", metric, field, v, ExternalValueLimit)
	}
	return nil
}

// externalPolicy reads Input.External at its own index.
type externalPolicy struct {
	spec *v1alpha1.ExternalPolicy
}

func (p externalPolicy) recommend(s *signals) outcome {
	addr := ""
	if p.spec != nil {
		addr = p.spec.Address
	}
	r, ok := s.external[s.index]
	if !ok {
		r.Err = "no reading yet"
	}
	size, err := ExternalSize(r)
	if err != nil {
		// The stale-data rule: an unknown size must not let the other policies shrink.
		return outcome{missing: true, notes: []string{fmt.Sprintf(
			"policies[%d] (External %s) gave no size: %v; it recommends nothing, and nothing shrinks meanwhile",
			s.index, addr, err)}}
	}
	if !r.Active {
		return outcome{ok: true, rec: Recommendation{Policy: string(v1alpha1.PolicyExternal), Size: s.lo,
			Reason: fmt.Sprintf("scaler %s is not active: minSize %d", addr, s.lo)}}
	}
	return outcome{ok: true, rec: Recommendation{Policy: string(v1alpha1.PolicyExternal), Size: size,
		Reason: fmt.Sprintf("scaler %s: %s", addr, externalSum(r.Metrics))}}
}

// externalSum writes the arithmetic, e.g. "ceil(jobs 12/3) + ceil(seats 1/2) = 5".
func externalSum(ms []ExternalMetric) string {
	var sum float64
	for _, m := range ms {
		sum += math.Ceil(m.Value / m.Target)
	}
	return ExternalTerms(ms) + " = " + fmtNum(sum)
}

// ExternalTerms are the terms KEDA's sum adds, e.g. "ceil(jobs 12/3) + ceil(seats 1/2)": the
// recommendation's reason and the controller's status signal both show them.
func ExternalTerms(ms []ExternalMetric) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmt.Sprintf("ceil(%s %s/%s)", m.Name, fmtNum(m.Value), fmtNum(m.Target))
	}
	return strings.Join(parts, " + ")
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
