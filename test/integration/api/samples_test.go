package api

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/fluxscale/fluxscale/api/v1alpha1"
)

// defaulted is the part of a ScalingPolicy spec the CRD defaults.
type defaulted struct {
	MinSize   int32
	Source    v1alpha1.FluxSourceType
	Timeout   int32
	Combine   v1alpha1.CombineMode
	Hints     v1alpha1.HintsSpec
	ScaleDown v1alpha1.ScaleDownSpec
	Fallback  v1alpha1.FallbackSpec
	Poll      int32
}

func defaultedOf(s *v1alpha1.ScalingPolicySpec) defaulted {
	return defaulted{
		MinSize: s.MinSize, Source: s.Flux.Source, Timeout: s.Flux.TimeoutSeconds, Combine: s.Combine,
		Hints: s.Hints, ScaleDown: s.ScaleDown, Fallback: s.Fallback, Poll: s.PollIntervalSeconds,
	}
}

// testSamples creates every document of config/samples/scalingpolicy*.yaml and
// minicluster*.yaml and checks the defaults the API server filled into each ScalingPolicy.
func testSamples(t *testing.T, c client.Client) {
	ns := createNamespace(t, c, "samples")
	floorHints := v1alpha1.HintsSpec{Enabled: ptr.To(true), Mode: v1alpha1.HintFloor, MaxTTLSeconds: 3600}
	hold := v1alpha1.FallbackSpec{AfterSeconds: 180, Action: v1alpha1.FallbackHold}
	// Keyed by file: a new sample needs its expectations here.
	want := map[string]map[string]defaulted{
		"scalingpolicy.yaml": {"flux-sample": {
			MinSize: 1, Source: v1alpha1.SourceExec, Timeout: 10, Combine: v1alpha1.CombineMax, Hints: floorHints,
			ScaleDown: v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownDrain}, Fallback: hold, Poll: 10,
		}},
		"scalingpolicy-hints.yaml": {"flux-sample-hints": {
			MinSize: 1, Source: v1alpha1.SourceNone, Timeout: 10, Combine: v1alpha1.CombineMax,
			Hints:     v1alpha1.HintsSpec{Enabled: ptr.To(true), Mode: v1alpha1.HintExact, MaxTTLSeconds: 3600},
			ScaleDown: v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownImmediate}, Fallback: hold, Poll: 10,
		}},
		"scalingpolicy-schedule.yaml": {"flux-sample-schedule": {
			MinSize: 1, Source: v1alpha1.SourceExec, Timeout: 10, Combine: v1alpha1.CombineMax, Hints: floorHints,
			ScaleDown: v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownDrain}, Fallback: hold, Poll: 10,
		}},
		"scalingpolicy-indexedjob.yaml": {"elastic-workers": {
			MinSize: 1, Source: v1alpha1.SourceNone, Timeout: 10, Combine: v1alpha1.CombineMax, Hints: floorHints,
			ScaleDown: v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownImmediate}, Fallback: hold, Poll: 10,
		}},
		"minicluster-flux-sample.yaml": {},
	}
	files := sampleFiles(t)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if diff := cmp.Diff(sortedKeys(want), names); diff != "" {
		t.Fatalf("sample files (-want +got):\n%s", diff)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			got := map[string]defaulted{}
			for _, obj := range readObjects(t, file) {
				obj.SetNamespace(ns)
				if err := c.Create(t.Context(), obj); err != nil {
					t.Fatalf("creating %s %s: %v", obj.GetKind(), obj.GetName(), err)
				}
				if obj.GetKind() != "ScalingPolicy" {
					continue
				}
				sp := &v1alpha1.ScalingPolicy{}
				if err := c.Get(t.Context(), client.ObjectKeyFromObject(obj), sp); err != nil {
					t.Fatalf("reading back %s: %v", obj.GetName(), err)
				}
				got[sp.Name] = defaultedOf(&sp.Spec)
			}
			if diff := cmp.Diff(want[filepath.Base(file)], got); diff != "" {
				t.Errorf("defaulted fields of stored ScalingPolicies (-want +got):\n%s", diff)
			}
		})
	}
}

func sampleFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"scalingpolicy*.yaml", "minicluster*.yaml"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, "config", "samples", pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	slices.SortFunc(files, func(a, b string) int { return strings.Compare(filepath.Base(a), filepath.Base(b)) })
	return files
}

// readObjects decodes every non-empty YAML document of a file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewYAMLOrJSONDecoder(f, 4096)
	var objs []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		err := dec.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("decoding %s: %v", path, err)
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
