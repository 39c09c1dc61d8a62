package replay

import (
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// ParsePolicy reads a ScalingPolicy YAML document, the file one would kubectl apply. Unknown
// fields are errors that name the field, so a misspelled setting is not silently ignored.
func ParsePolicy(data []byte) (*v1alpha1.ScalingPolicy, error) {
	var sp v1alpha1.ScalingPolicy
	if err := yaml.UnmarshalStrict(data, &sp); err != nil {
		return nil, fmt.Errorf("%w: fix or remove that field", err)
	}
	if want := v1alpha1.GroupVersion.String(); sp.APIVersion != want || sp.Kind != "ScalingPolicy" {
		return nil, fmt.Errorf("apiVersion %q kind %q: want apiVersion %s, kind ScalingPolicy", sp.APIVersion, sp.Kind, want)
	}
	return &sp, nil
}

// CheckBounds rejects sizes the API server's validation would reject.
func CheckBounds(spec v1alpha1.ScalingPolicySpec) error {
	switch {
	case spec.MinSize < 1:
		return fmt.Errorf("minSize %d: must be at least 1 (rank 0 is the lead broker)", spec.MinSize)
	case spec.MaxSize < spec.MinSize:
		return fmt.Errorf("maxSize %d is below minSize %d: raise maxSize or lower minSize", spec.MaxSize, spec.MinSize)
	}
	return nil
}
