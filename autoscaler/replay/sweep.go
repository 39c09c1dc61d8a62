package replay

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// Variant is a policy spec with one field changed by a sweep.
type Variant struct {
	// Name is "<field>=<value>", as given.
	Name string
	Spec v1alpha1.ScalingPolicySpec
}

// Sweep reads "FIELD=V1,V2,..." and returns one variant of spec per value. FIELD is a
// ScalingPolicy spec field path as in the YAML, dot-separated, with [i] (or .i) for list
// items and an optional leading "spec.": behavior.scaleDown.stabilizationWindowSeconds,
// scaleDown.mode, policies[0].queueDepth.pendingJobsPerNode. Each value is read as YAML
// (60, Drain, true, "0.1"), and a field the spec does not have is an error naming it, so a
// misspelled sweep never replays the unchanged policy under a new name.
func Sweep(spec v1alpha1.ScalingPolicySpec, arg string) ([]Variant, error) {
	field, list, ok := strings.Cut(arg, "=")
	field = strings.TrimPrefix(strings.TrimSpace(field), "spec.")
	if !ok || field == "" || strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("sweep %q: want FIELD=V1,V2,... such as behavior.scaleDown.stabilizationWindowSeconds=0,60,300", arg)
	}
	path, err := splitPath(field)
	if err != nil {
		return nil, fmt.Errorf("sweep %q: %w", arg, err)
	}
	var out []Variant
	for v := range strings.SplitSeq(list, ",") {
		v = strings.TrimSpace(v)
		var value any
		if err := yaml.Unmarshal([]byte(v), &value); err != nil {
			return nil, fmt.Errorf("sweep %q: value %q is not a YAML scalar: %w", arg, v, err)
		}
		s, err := setField(spec, path, value)
		if err != nil {
			return nil, fmt.Errorf("sweep %s=%s: %w", field, v, err)
		}
		out = append(out, Variant{Name: field + "=" + v, Spec: s})
	}
	return out, nil
}

// pathStep is one step of a field path: a map key, or a list index when key is "".
type pathStep struct {
	key   string
	index int
}

// splitPath reads a.b[0].c (or a.b.0.c) into steps.
func splitPath(field string) ([]pathStep, error) {
	var steps []pathStep
	for part := range strings.SplitSeq(strings.ReplaceAll(strings.ReplaceAll(field, "[", "."), "]", ""), ".") {
		if part == "" {
			return nil, fmt.Errorf("field path %q has an empty part: write a.b[0].c", field)
		}
		if i, err := strconv.Atoi(part); err == nil {
			if i < 0 {
				return nil, fmt.Errorf("field path %q: list index %d is negative", field, i)
			}
			steps = append(steps, pathStep{index: i})
			continue
		}
		steps = append(steps, pathStep{key: part})
	}
	return steps, nil
}

// setField sets the field at path of a copy of spec to value, through the spec's JSON form
// so that every field (and its JSON name) is reachable without a switch per field; the
// strict decode back rejects a path the spec does not have.
func setField(spec v1alpha1.ScalingPolicySpec, path []pathStep, value any) (v1alpha1.ScalingPolicySpec, error) {
	blob, err := json.Marshal(spec)
	if err != nil {
		return spec, err
	}
	var doc any
	if err := json.Unmarshal(blob, &doc); err != nil {
		return spec, err
	}
	doc, err = setIn(doc, path, value)
	if err != nil {
		return spec, err
	}
	blob, err = json.Marshal(doc)
	if err != nil {
		return spec, err
	}
	var out v1alpha1.ScalingPolicySpec
	if err := yaml.UnmarshalStrict(blob, &out); err != nil {
		return spec, fmt.Errorf("%w: check the field path against the ScalingPolicy spec", err)
	}
	return out, nil
}

// setIn sets path in node (a decoded JSON value, nil for a missing one) and returns it.
func setIn(node any, path []pathStep, value any) (any, error) {
	if len(path) == 0 {
		return value, nil
	}
	step := path[0]
	if step.key == "" {
		list, ok := node.([]any)
		if !ok || step.index >= len(list) {
			return nil, fmt.Errorf("list index [%d]: the policy has no such list item (it has %d): give the item in --policy first", step.index, len(list))
		}
		v, err := setIn(list[step.index], path[1:], value)
		if err != nil {
			return nil, err
		}
		list[step.index] = v
		return list, nil
	}
	obj, ok := node.(map[string]any)
	if node == nil {
		obj, ok = map[string]any{}, true
	}
	if !ok {
		return nil, fmt.Errorf("field %q: its parent is not an object", step.key)
	}
	v, err := setIn(obj[step.key], path[1:], value)
	if err != nil {
		return nil, err
	}
	obj[step.key] = v
	return obj, nil
}
