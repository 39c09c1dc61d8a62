package helm

import (
	"path/filepath"
	"sort"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// `kubectl explain scalingpolicy` prints each field's description from the CRD schema: every
// field the chart installs must have one, or explain shows it blank.
func TestEveryFieldExplained(t *testing.T) {
	var crd apiextensionsv1.CustomResourceDefinition
	readYAML(t, filepath.Join(chartDir(t), "crds", "fluxscale.dev_scalingpolicies.yaml"), &crd)
	var missing []string
	fields := 0
	for _, v := range crd.Spec.Versions {
		for _, top := range []string{"spec", "status"} {
			prop, ok := v.Schema.OpenAPIV3Schema.Properties[top]
			if !ok {
				t.Fatalf("version %s has no %s", v.Name, top)
			}
			walkFields(v.Name+"."+top, prop, func(path string, s apiextensionsv1.JSONSchemaProps) {
				fields++
				if s.Description == "" {
					missing = append(missing, path)
				}
			})
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("%d of %d fields have no description for kubectl explain (add a doc comment in api/v1alpha1, then make manifests):\n%v",
			len(missing), fields, missing)
	}
	t.Logf("%d fields, all described", fields)
}

// walkFields calls fn for s and every field below it (object properties and array items).
func walkFields(path string, s apiextensionsv1.JSONSchemaProps, fn func(string, apiextensionsv1.JSONSchemaProps)) {
	fn(path, s)
	for name, p := range s.Properties {
		walkFields(path+"."+name, p, fn)
	}
	if s.Items != nil && s.Items.Schema != nil {
		for name, p := range s.Items.Schema.Properties {
			walkFields(path+"[]."+name, p, fn)
		}
	}
}
