package main

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/autoscaler"
)

// The sizing flags default to the constants the scale benchmark runs with, so the figures in
// BENCHMARKS.md are what an unconfigured controller does.
func TestParseControllerSizingFlags(t *testing.T) {
	type sizing struct {
		Workers    int
		QPS        float64
		Burst      int
		Histograms bool
	}
	tests := []struct {
		name   string
		args   []string
		want   sizing
		errHas string
	}{{
		name: "defaults hold 2,000 policies",
		want: sizing{Workers: autoscaler.DefaultMaxConcurrentReconciles, QPS: autoscaler.DefaultKubeAPIQPS, Burst: autoscaler.DefaultKubeAPIBurst},
	}, {
		name: "set",
		args: []string{"-max-concurrent-reconciles=4", "-kube-api-qps=20", "-kube-api-burst=30", "-per-policy-histograms"},
		want: sizing{Workers: 4, QPS: 20, Burst: 30, Histograms: true},
	}, {
		name:   "no workers is a usage error",
		args:   []string{"-max-concurrent-reconciles=0"},
		errHas: "-max-concurrent-reconciles 0: want 1 or more",
	}, {
		name:   "a QPS of 0 is a usage error",
		args:   []string{"-kube-api-qps=0"},
		errHas: "-kube-api-qps 0",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseControllerFlags(tc.args, io.Discard)
			if tc.errHas != "" {
				if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("error %v, want a usage error containing %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := sizing{Workers: f.maxConcurrentReconciles, QPS: f.kubeAPIQPS, Burst: f.kubeAPIBurst, Histograms: f.perPolicyHistograms}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("sizing flags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCacheDropsManagedFields(t *testing.T) {
	for _, ns := range [][]string{nil, {"team-a"}} {
		if cacheOptions(ns).DefaultTransform == nil {
			t.Errorf("cacheOptions(%v): no DefaultTransform, want managed fields stripped", ns)
		}
	}
}
