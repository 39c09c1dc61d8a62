package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// An Expression policy whose formula does not compile gets ScalingActive=False
// InvalidPolicy naming the error and its column, once, and holds the Job's size (minSize 1
// would shrink it); fixed, the formula scales the Job 2 -> 4.
func TestExpressionPolicy(t *testing.T) {
	e := startEnv(t)
	sim := ctrltest.NewSim(t, 6)
	createIndexedJob(t, e, "expr", 2)
	startMirror(t, e, sim, "expr")
	startController(t, e, simSources{"expr-policy": sim})
	sp := jobPolicy("expr-policy", "expr", 1, 6)
	sp.Spec.Policies = []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyExpression,
		Expression: &v1alpha1.ExpressionPolicy{Formula: "math.greatest(busy + pendng, 4)"}}}
	if err := e.Client.Create(t.Context(), sp); err != nil {
		t.Fatal(err)
	}
	const wantMsg = "the spec has errors (the parts concerned are skipped): policies[0] (Expression): " +
		"expression.formula, column 22: undeclared reference to 'pendng'"
	var seen string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ScalingActive last seen: %s", seen)
		}
	})
	ctrltest.Eventually(t, 30*time.Second, "ScalingActive False/InvalidPolicy naming column 22", func(ctx context.Context) (bool, string) {
		ok, msg := conditionIs(ctx, e, "expr-policy", v1alpha1.ConditionScalingActive, "False/InvalidPolicy")
		if ctx.Err() == nil {
			seen = msg
		}
		return ok && strings.Contains(msg, wantMsg), msg
	})
	// The decision held the size: minSize 1 would have shrunk it.
	st, err := policyStatus(t.Context(), e, "expr-policy")
	if err != nil {
		t.Fatal(err)
	}
	if st.DesiredSize != 2 || len(st.Recommendations) != 0 {
		t.Errorf("desiredSize %d, recommendations %+v under an invalid formula: want 2 held, none", st.DesiredSize, st.Recommendations)
	}
	if p, msg := jobParallelism(t.Context(), e, "expr"); p != 2 {
		t.Errorf("parallelism %d (%s) under an invalid formula, want 2 held", p, msg)
	}

	// Fix the formula: the Job grows to the floor of 4.
	fixed := &v1alpha1.ScalingPolicy{}
	if err := e.Client.Get(t.Context(), types.NamespacedName{Namespace: testNamespace, Name: "expr-policy"}, fixed); err != nil {
		t.Fatal(err)
	}
	fixed.Spec.Policies[0].Expression.Formula = "math.greatest(busy + pending, 4)"
	if err := e.Client.Update(t.Context(), fixed); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, 30*time.Second, "the Job to grow to 4", func(ctx context.Context) (bool, string) {
		p, msg := jobParallelism(ctx, e, "expr")
		return p == 4, fmt.Sprintf("parallelism %d %s", p, msg)
	})
	ctrltest.Eventually(t, 30*time.Second, "ScalingActive True/ValidMetricFound and the recommendation", func(ctx context.Context) (bool, string) {
		st, err := policyStatus(ctx, e, "expr-policy")
		if err != nil {
			return false, err.Error()
		}
		ok, msg := conditionIs(ctx, e, "expr-policy", v1alpha1.ConditionScalingActive, "True/ValidMetricFound")
		want := v1alpha1.Recommendation{Policy: "Expression", Size: 4, Reason: `"math.greatest(busy + pending, 4)" = 4`}
		return ok && len(st.Recommendations) == 1 && st.Recommendations[0] == want, fmt.Sprintf("%s; %+v", msg, st.Recommendations)
	})
}
