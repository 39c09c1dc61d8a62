package minicluster

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckSizes(t *testing.T) {
	cases := map[string]struct {
		spec    Spec
		wantErr string
	}{
		"size within maxSize":     {spec: Spec{Size: 2, MaxSize: 10}},
		"size equal to maxSize":   {spec: Spec{Size: 10, MaxSize: 10}},
		"maxSize unset":           {spec: Spec{Size: 12}},
		"minSize within bounds":   {spec: Spec{Size: 3, MinSize: 2, MaxSize: 10}},
		"negative size is let by": {spec: Spec{Size: -1}},
		"size zero":               {spec: Spec{Size: 0, MaxSize: 10}, wantErr: "spec.size is 0"},
		"size above maxSize":      {spec: Spec{Size: 12, MaxSize: 10}, wantErr: "spec.size 12 is above spec.maxSize 10"},
		"minSize above maxSize":   {spec: Spec{Size: 4, MinSize: 6, MaxSize: 5}, wantErr: "spec.minSize 6 is above spec.maxSize 5"},
		"size below minSize":      {spec: Spec{Size: 1, MinSize: 2, MaxSize: 10}, wantErr: "spec.size 1 is below spec.minSize 2"},
		"minSize above unset max": {spec: Spec{Size: 1, MinSize: 2}, wantErr: "spec.size 1 is below spec.minSize 2"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := checkSizes(&tc.spec)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("checkSizes(%+v) = %v, want nil", tc.spec, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("checkSizes(%+v) = %v, want an error containing %q", tc.spec, err, tc.wantErr)
			}
		})
	}
}

func TestMaximumSize(t *testing.T) {
	cases := map[string]struct {
		mc   MiniCluster
		want int32
	}{
		"first reconcile takes maxSize": {mc: MiniCluster{Spec: Spec{Size: 2, MaxSize: 10}}, want: 10},
		"first reconcile without max":   {mc: MiniCluster{Spec: Spec{Size: 3}}, want: 3},
		"kept once set":                 {mc: MiniCluster{Spec: Spec{Size: 2, MaxSize: 20}, Status: Status{MaximumSize: 10}}, want: 10},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, maximumSize(&tc.mc)); diff != "" {
				t.Errorf("maximumSize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanResize(t *testing.T) {
	cases := map[string]struct {
		size, maximum, parallelism int32
		want                       resize
	}{
		"sizes agree":          {size: 3, maximum: 10, parallelism: 3, want: resizeNone},
		"grow within maximum":  {size: 4, maximum: 10, parallelism: 2, want: resizeJob},
		"shrink":               {size: 2, maximum: 10, parallelism: 4, want: resizeJob},
		"grow to the maximum":  {size: 10, maximum: 10, parallelism: 2, want: resizeJob},
		"above maximum clamps": {size: 12, maximum: 10, parallelism: 2, want: resizeClamp},
		"negative restores":    {size: -1, maximum: 10, parallelism: 2, want: resizeRestore},
		"job patched directly": {size: 3, maximum: 10, parallelism: 5, want: resizeJob},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := planResize(tc.size, tc.maximum, tc.parallelism)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("planResize(%d, %d, %d) (-want +got):\n%s", tc.size, tc.maximum, tc.parallelism, diff)
			}
		})
	}
}

func TestPodIndex(t *testing.T) {
	cases := map[string]struct {
		pod       string
		wantIndex string
		wantOK    bool
	}{
		"job pod":         {pod: "flux-sample-3-x7k2p", wantIndex: "3", wantOK: true},
		"two digit index": {pod: "flux-sample-12-abcde", wantIndex: "12", wantOK: true},
		"other prefix":    {pod: "other-0-abcde"},
		"longer name":     {pod: "flux-sample-services-abcde"},
		"no index":        {pod: "flux-sample-"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			index, ok := podIndex("flux-sample", tc.pod)
			if diff := cmp.Diff([]any{tc.wantIndex, tc.wantOK}, []any{index, ok}); diff != "" {
				t.Errorf("podIndex(%q) (-want +got):\n%s", tc.pod, diff)
			}
		})
	}
}
