package autoscaler

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// TestExpressionCache compiles once per UID and generation.
func TestExpressionCache(t *testing.T) {
	sp := &v1alpha1.ScalingPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", UID: "u1", Generation: 1},
		Spec: v1alpha1.ScalingPolicySpec{Policies: []v1alpha1.PolicySpec{{
			Type: v1alpha1.PolicyExpression, Expression: &v1alpha1.ExpressionPolicy{Formula: "busy + pending"},
		}}},
	}
	var c expressionCache
	first := c.get(sp, &sp.Spec)
	if first == nil {
		t.Fatal("no compiled formulas")
	}
	if again := c.get(sp, &sp.Spec); again != first {
		t.Error("the same generation compiled again")
	}
	sp.Generation = 2
	second := c.get(sp, &sp.Spec)
	if second == first {
		t.Error("a new generation reused the old compile")
	}
	sp.UID = "u2"
	if third := c.get(sp, &sp.Spec); third == second {
		t.Error("a recreated policy (new UID) reused the old compile")
	}
	sp.Spec.Policies = []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyQueueDepth}}
	sp.Generation = 3
	if got := c.get(sp, &sp.Spec); got != nil || len(c.entries) != 0 {
		t.Errorf("a spec without Expression policies: got %v, %d entries kept", got, len(c.entries))
	}
}
