package replay

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
)

func TestSweep(t *testing.T) {
	base := policy.Defaulted(v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 64})
	tests := []struct {
		name, arg string
		check     func(v1alpha1.ScalingPolicySpec) any
		want      []any
		wantNames []string
	}{{
		name:      "window seconds",
		arg:       "behavior.scaleDown.stabilizationWindowSeconds=0,60,300",
		check:     func(s v1alpha1.ScalingPolicySpec) any { return *s.Behavior.ScaleDown.StabilizationWindowSeconds },
		want:      []any{int32(0), int32(60), int32(300)},
		wantNames: []string{"behavior.scaleDown.stabilizationWindowSeconds=0", "behavior.scaleDown.stabilizationWindowSeconds=60", "behavior.scaleDown.stabilizationWindowSeconds=300"},
	}, {
		name:      "an enum with the spec prefix",
		arg:       "spec.scaleDown.mode=Drain,Immediate",
		check:     func(s v1alpha1.ScalingPolicySpec) any { return s.ScaleDown.Mode },
		want:      []any{v1alpha1.ScaleDownDrain, v1alpha1.ScaleDownImmediate},
		wantNames: []string{"scaleDown.mode=Drain", "scaleDown.mode=Immediate"},
	}, {
		name: "a list item, created where the spec has none",
		arg:  "policies[0].queueDepth.pendingJobsPerNode=2",
		check: func(s v1alpha1.ScalingPolicySpec) any {
			return s.Policies[0].QueueDepth.PendingJobsPerNode
		},
		want:      []any{int32(2)},
		wantNames: []string{"policies[0].queueDepth.pendingJobsPerNode=2"},
	}, {
		name:      "a quantity",
		arg:       "behavior.scaleUp.tolerance=0.1",
		check:     func(s v1alpha1.ScalingPolicySpec) any { return s.Behavior.ScaleUp.Tolerance.String() },
		want:      []any{"100m"},
		wantNames: []string{"behavior.scaleUp.tolerance=0.1"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := Sweep(base, tc.arg)
			if err != nil {
				t.Fatal(err)
			}
			var got []any
			var names []string
			for _, v := range vs {
				got, names = append(got, tc.check(v.Spec)), append(names, v.Name)
				if v.Spec.MaxSize != 64 {
					t.Errorf("%s lost maxSize: %d", v.Name, v.Spec.MaxSize)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("swept values (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantNames, names); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
	if *base.Behavior.ScaleDown.StabilizationWindowSeconds != 300 {
		t.Errorf("Sweep changed its input")
	}
}

func TestSweepErrors(t *testing.T) {
	base := policy.Defaulted(v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 64})
	tests := []struct{ arg, wantErr string }{
		{"behavior.scaleDown.stabilisationWindowSeconds=0", `unknown field "stabilisationWindowSeconds"`},
		{"maxSize", "want FIELD=V1,V2"},
		{"maxSize=", "want FIELD=V1,V2"},
		{"scaleDown.mode=[", "is not a YAML scalar"},
		{"policies[3].type=QueueDepth", "no such list item (it has 1)"},
		{"minSize.x=1", `"x": its parent is not an object`},
		{"behavior..scaleDown=1", "empty part"},
		{"maxSize=ten", "maxSize=ten"},
	}
	for _, tc := range tests {
		if _, err := Sweep(base, tc.arg); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Sweep(%q): error %v, want one containing %q", tc.arg, err, tc.wantErr)
		}
	}
}
