package fluxoperator

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/fluxscale/fluxscale/test/localcluster"
)

// ExamplePath is the operator's own examples/elasticity/basic/minicluster.yaml (flux-sample:
// size 2, maxSize 10), which make tools copies from the operator's pinned source.
func ExamplePath() string {
	return filepath.Join(localcluster.BinDir(), "flux-operator", "examples", "elasticity", "basic", "minicluster.yaml")
}

// Example reads the operator's example MiniCluster, unchanged but for the namespace.
func Example(t testing.TB, namespace string) *unstructured.Unstructured {
	t.Helper()
	obj, err := LoadExample(namespace)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// LoadExample is Example for programs.
func LoadExample(namespace string) (*unstructured.Unstructured, error) {
	data, err := os.ReadFile(ExamplePath())
	if err != nil {
		return nil, fmt.Errorf("reading the operator's example (make tools copies it): %w", err)
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &obj.Object); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", ExamplePath(), err)
	}
	obj.SetNamespace(namespace)
	return obj, nil
}
