package policy

import (
	"testing"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

const benchFormula = "busy + math.greatest(pending, weekday >= 1 && weekday <= 5 && hour >= 8 && hour < 18 ? 2 : 0)"

// BenchmarkExpressionCompile is what the controller pays once per policy generation.
func BenchmarkExpressionCompile(b *testing.B) {
	e := &v1alpha1.ExpressionPolicy{Formula: benchFormula, TimeZone: "Europe/Paris"}
	for b.Loop() {
		if c := compileExpression(e); c.err != nil {
			b.Fatal(c.err)
		}
	}
}

// BenchmarkDecideExpression is one decision with the formula compiled beforehand, as the
// controller and the simulator make it; BenchmarkDecideQueueDepth the same with QueueDepth.
func BenchmarkDecideExpression(b *testing.B) {
	in := exprFixture().expressionIn(benchFormula, "Europe/Paris").obj()
	in.Expressions = CompileExpressions(&in.Spec)
	for b.Loop() {
		Decide(in)
	}
}

func BenchmarkDecideQueueDepth(b *testing.B) {
	in := exprFixture().obj()
	for b.Loop() {
		Decide(in)
	}
}
