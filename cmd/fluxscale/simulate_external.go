package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/replay"
)

// externalFeed builds the External policies' answers from --external policies[i]=VALUE[/TARGET]
// and --external-series policies[i]=FILE, and checks that every External policy of spec has
// one.
func externalFeed(f simulateFlags, spec *v1alpha1.ScalingPolicySpec) (replay.ExternalFeed, error) {
	feed := replay.ExternalFeed{}
	add := func(flag, arg string, parse func(string) (replay.ExternalSeries, error)) error {
		name, val, ok := strings.Cut(arg, "=")
		idx, err := policyIndex(name)
		if !ok || err != nil {
			return fmt.Errorf("%w: --%s %q: write policies[INDEX]=%s", errUsage, flag, arg, map[bool]string{true: "FILE", false: "VALUE[/TARGET]"}[flag == "external-series"])
		}
		if _, dup := feed[idx]; dup {
			return fmt.Errorf("%w: --%s: policies[%d] is fed twice", errUsage, flag, idx)
		}
		s, err := parse(val)
		if err != nil {
			return fmt.Errorf("%w: --%s %s: %w", errUsage, flag, arg, err)
		}
		feed[idx] = s
		return nil
	}
	for _, a := range f.external {
		if err := add("external", a, constantSeries); err != nil {
			return nil, err
		}
	}
	for _, a := range f.externalSeries {
		if err := add("external-series", a, seriesFile); err != nil {
			return nil, err
		}
	}
	if err := feed.Check(spec); err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	return feed, nil
}

// policyIndex reads "policies[3]" as 3.
func policyIndex(s string) (int, error) {
	inner, ok := strings.CutPrefix(s, "policies[")
	if inner, ok = strings.CutSuffix(inner, "]"); !ok {
		return 0, fmt.Errorf("%q is not policies[INDEX]", s)
	}
	return strconv.Atoi(inner)
}

// constantSeries reads VALUE or VALUE/TARGET (target default 1).
func constantSeries(v string) (replay.ExternalSeries, error) {
	value, target, hasTarget := strings.Cut(v, "/")
	val, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return replay.ExternalSeries{}, fmt.Errorf("value %q is not a number", value)
	}
	tgt := 1.0
	if hasTarget {
		if tgt, err = strconv.ParseFloat(target, 64); err != nil {
			return replay.ExternalSeries{}, fmt.Errorf("target %q is not a number", target)
		}
	}
	return replay.ConstantExternal(val, tgt), nil
}

func seriesFile(path string) (replay.ExternalSeries, error) {
	file, err := os.Open(path)
	if err != nil {
		return replay.ExternalSeries{}, err
	}
	defer file.Close()
	s, err := replay.ParseExternalSeries(file)
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// feedScalers gives feed to every policy scaler (the policy and its sweep variants).
func feedScalers(scalers []replay.Scaler, feed replay.ExternalFeed) {
	for _, s := range scalers {
		if p, ok := s.(*replay.PolicyScaler); ok {
			p.SetExternal(feed)
		}
	}
}
