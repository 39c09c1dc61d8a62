package helm

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/fluxscale/fluxscale/test/localcluster"
)

// repoPath is a path under the repository root.
func repoPath(t *testing.T, elem ...string) string {
	t.Helper()
	root, err := localcluster.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

// chartDir is the chart under test.
func chartDir(t *testing.T) string { return repoPath(t, "config", "helm", "fluxscale") }

// tool returns the path of a binary built by `make tools`, failing (never skipping) when it
// is missing.
func tool(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(localcluster.BinDir(), name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s not found in %s: run `make tools` (or make %s) at the repo root", name, localcluster.BinDir(), p)
	}
	return p
}

// runTool runs a binary with args and the extra environment, returning its combined output
// and its error (an *exec.ExitError when it ran and failed).
func runTool(t *testing.T, bin string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	// Helm keeps its cache and config under HOME: give each test its own, so nothing on the
	// machine changes what the chart renders.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"), "HELM_DATA_HOME="+filepath.Join(home, "data"))
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// helm runs bin/helm and fails the test when it fails.
func helm(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, err := runTool(t, tool(t, "helm"), env, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// render runs helm template with the given --set values and decodes every object.
func render(t *testing.T, sets ...string) []*unstructured.Unstructured {
	t.Helper()
	args := []string{"template", "fluxscale", chartDir(t), "--namespace", "fluxscale-system", "--include-crds"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return decodeObjects(t, helm(t, nil, args...))
}

// decodeObjects splits a multi-document YAML stream into objects, skipping empty documents.
func decodeObjects(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(manifest)), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("decoding helm template output: %v\n%s", err, manifest)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// find returns the rendered objects of a kind.
func find(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}
