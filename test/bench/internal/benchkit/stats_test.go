package benchkit

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{name: "no samples", in: nil, p: 50, want: 0},
		{name: "one sample is every percentile", in: ms(7), p: 99, want: 7 * time.Millisecond},
		{name: "median of unsorted, nearest rank", in: ms(5, 1, 4, 2, 3), p: 50, want: 3 * time.Millisecond},
		{name: "p95 of 20 is the 19th", in: ms(20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1), p: 95, want: 19 * time.Millisecond},
		{name: "p100 is the max", in: ms(3, 9, 1), p: 100, want: 9 * time.Millisecond},
		{name: "tiny p is the min", in: ms(3, 9, 1), p: 0.1, want: 1 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Percentile(tc.in, tc.p)); diff != "" {
				t.Errorf("Percentile(%v, %v) (-want +got):\n%s", tc.in, tc.p, diff)
			}
		})
	}
}

func TestPercentileDoesNotReorderInput(t *testing.T) {
	in := []time.Duration{3, 1, 2}
	Percentile(in, 50)
	if diff := cmp.Diff([]time.Duration{3, 1, 2}, in); diff != "" {
		t.Errorf("input changed (-want +got):\n%s", diff)
	}
}
