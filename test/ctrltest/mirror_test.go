package ctrltest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// completionIndex accepts only the decimal indexes the Job controller writes, so a pod with
// a missing or garbled label never counts as a rank.
func TestCompletionIndex(t *testing.T) {
	type result struct {
		Index int32
		OK    bool
	}
	for _, tc := range []struct {
		name  string
		label string
		want  result
	}{
		{name: "zero", label: "0", want: result{0, true}},
		{name: "several digits", label: "123", want: result{123, true}},
		{name: "missing", label: "", want: result{0, false}},
		{name: "negative", label: "-1", want: result{0, false}},
		{name: "not a number", label: "1a", want: result{0, false}},
		{name: "too large", label: "99999999999", want: result{0, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx, ok := completionIndex(tc.label)
			if diff := cmp.Diff(tc.want, result{idx, ok}); diff != "" {
				t.Errorf("completionIndex(%q) (-want +got):\n%s", tc.label, diff)
			}
		})
	}
}
