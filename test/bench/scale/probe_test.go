package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProbeSets(t *testing.T) {
	cases := []struct {
		name                  string
		n, k                  int
		wantHealthy, wantHung []int
	}{
		{name: "spread over 1..n-1, alternating", n: 9, k: 2, wantHealthy: []int{1, 5}, wantHung: []int{3, 7}},
		{name: "k capped so the sets stay disjoint", n: 5, k: 20, wantHealthy: []int{1, 3}, wantHung: []int{2, 4}},
		{name: "too few policies for a probe beside the hung one", n: 2, k: 20},
		{name: "no probes asked for", n: 100, k: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			healthy, hung := probeSets(tc.n, tc.k)
			if diff := cmp.Diff(tc.wantHealthy, healthy); diff != "" {
				t.Errorf("probeSets(%d, %d) healthy (-want +got):\n%s", tc.n, tc.k, diff)
			}
			if diff := cmp.Diff(tc.wantHung, hung); diff != "" {
				t.Errorf("probeSets(%d, %d) with hung (-want +got):\n%s", tc.n, tc.k, diff)
			}
		})
	}
}

func TestProbeSetsAreDisjointAndSkipPolicyZero(t *testing.T) {
	healthy, hung := probeSets(2000, 20)
	seen := map[int]bool{}
	for _, i := range append(healthy, hung...) {
		if i < 1 || i >= 2000 || seen[i] {
			t.Fatalf("probeSets(2000, 20) = %v, %v: %d is out of 1..1999 or repeated", healthy, hung, i)
		}
		seen[i] = true
	}
	if len(healthy) != 20 || len(hung) != 20 {
		t.Errorf("probeSets(2000, 20) gave %d and %d probes, want 20 each", len(healthy), len(hung))
	}
}
