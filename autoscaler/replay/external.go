package replay

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
)

// ExternalSeries is what an External policy's scaler answers over a replay: a metric value
// and its target from each point's offset on, until the next point. A value of 0 is "not
// active", as test/scaler answers, so the policy recommends minSize.
type ExternalSeries struct {
	// Points are in offset order; before the first one the scaler is not active.
	Points []ExternalPoint
}

// ExternalPoint is one recorded answer.
type ExternalPoint struct {
	// At is the offset from the replay's start (the trace's first submit).
	At time.Duration
	// Value is the metric value, Target its value per replica (KEDA's targetSize).
	Value, Target float64
}

// ConstantExternal is a series that always answers value/target.
func ConstantExternal(value, target float64) ExternalSeries {
	return ExternalSeries{Points: []ExternalPoint{{Value: value, Target: target}}}
}

// ParseExternalSeries reads CSV lines "offset seconds,value[,target]" (target default 1);
// blank lines, lines starting with # and a header line that is not a number are skipped.
func ParseExternalSeries(r io.Reader) (ExternalSeries, error) {
	var s ExternalSeries
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ",")
		at, err := strconv.ParseFloat(strings.TrimSpace(fields[0]), 64)
		if err != nil && n == 1 {
			continue // a header
		}
		if err != nil || at < 0 || math.IsInf(at, 0) || len(fields) < 2 || len(fields) > 3 {
			return s, fmt.Errorf("line %d %q: want offset seconds (>= 0),value[,target], e.g. 3600,12", n, line)
		}
		p := ExternalPoint{At: time.Duration(at * float64(time.Second)), Target: 1}
		// Values are kept as written, NaN and negatives included: the policy refuses them
		// as it refuses a scaler's, which is what a replay of a faulty series should show.
		if p.Value, err = strconv.ParseFloat(strings.TrimSpace(fields[1]), 64); err != nil {
			return s, fmt.Errorf("line %d: value %q is not a number", n, fields[1])
		}
		if len(fields) == 3 {
			if p.Target, err = strconv.ParseFloat(strings.TrimSpace(fields[2]), 64); err != nil {
				return s, fmt.Errorf("line %d: target %q is not a number", n, fields[2])
			}
		}
		if len(s.Points) > 0 && p.At < s.Points[len(s.Points)-1].At {
			return s, fmt.Errorf("line %d: offset %gs is before the line above: sort the series by time", n, at)
		}
		s.Points = append(s.Points, p)
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if len(s.Points) == 0 {
		return s, fmt.Errorf("the series has no point: write lines offset seconds,value[,target]")
	}
	return s, nil
}

// at is the scaler's answer at offset.
func (s ExternalSeries) at(offset time.Duration) policy.ExternalReading {
	i, found := slices.BinarySearchFunc(s.Points, offset, func(p ExternalPoint, d time.Duration) int {
		return int(p.At - d)
	})
	if !found {
		i-- // the point in force is the last one before offset
	}
	if i < 0 || s.Points[i].Value == 0 {
		return policy.ExternalReading{}
	}
	p := s.Points[i]
	return policy.ExternalReading{Active: true, Metrics: []policy.ExternalMetric{{Name: "replay", Value: p.Value, Target: p.Target}}}
}

// ExternalFeed are the series of a spec's External policies, by index in spec.policies.
type ExternalFeed map[int]ExternalSeries

// Check says which External policy of spec has no series, or which series names a policy
// that is not External.
func (f ExternalFeed) Check(spec *v1alpha1.ScalingPolicySpec) error {
	for i := range spec.Policies {
		if _, ok := f[i]; spec.Policies[i].Type == v1alpha1.PolicyExternal && !ok {
			return fmt.Errorf("policies[%d] is External: the replay has no scaler, give --external policies[%d]=VALUE[/TARGET] or --external-series policies[%d]=FILE", i, i, i)
		}
	}
	for i := range f {
		if i < 0 || i >= len(spec.Policies) || spec.Policies[i].Type != v1alpha1.PolicyExternal {
			return fmt.Errorf("policies[%d] is not an External policy of the spec: a series can feed only one", i)
		}
	}
	return nil
}

// readings are the answers at offset, as policy.Input.External takes them.
func (f ExternalFeed) readings(offset time.Duration) map[int]policy.ExternalReading {
	if len(f) == 0 {
		return nil
	}
	out := make(map[int]policy.ExternalReading, len(f))
	for i, s := range f {
		out[i] = s.at(offset)
	}
	return out
}
