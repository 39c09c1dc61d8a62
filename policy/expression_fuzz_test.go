package policy

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// fuzzFormulas seed FuzzExpression: the tests' formulas, accepted and rejected, and some
// that push the cost limit, the number ranges and the parser.
var fuzzFormulas = []string{
	"busy + pending",
	"busy + math.greatest(pending, weekday >= 1 && weekday <= 5 && hour >= 8 && hour < 18 ? 2 : 0)",
	"double(busy) + double(pendingJobs) / 4.0",
	"hour >= 22 || hour < 6 ? math.least(busy + pending, maxSize / 2) : busy + pending",
	"heldJobs > 0 ? current + 1 : current",
	"cpuPercent > 80 ? current + 1 : current - 2",
	"pending > 0 || cpuPercent > 80 ? current + 2 : current",
	"busy / (free - 1)", "9223372036854775807 + busy", "-9223372036854775807 - 2 * up",
	"double(busy) / double(free - 1)", "[1, 'two'][busy - 2]", "[current, 2.5][0]",
	"now.getHours('America/New_York')", "now.getHours(['UTC', 'Nope/Nope'][free % 2])",
	"[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, a*b)).size()",
	"[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, a*b*c))).size()",
	"math.ceil(double(pending) * 1e308 * 10.0)", "int(double(maxSize) * 1e300)",
	"busy +", "current * 1.5", "pending > 0", "'4'", "uint(busy)", "max(busy, 2)", "", "((((((((((busy))))))))))",
	strings.Repeat("busy + ", 300) + "1",
}

// FuzzExpression evaluates random formulas over random signals: compiling either works or
// gives a message, evaluation never panics, never costs more than the limit, gives the
// same answer twice, and a size is never negative; Decide keeps its invariants. The seeds
// run in every `go test`; `go test -fuzz=FuzzExpression ./policy/` searches further.
func FuzzExpression(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i, formula := range fuzzFormulas {
		b := make([]byte, 64)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		f.Add(formula, b, i%3 == 0)
	}
	f.Fuzz(func(t *testing.T, formula string, data []byte, stale bool) {
		e := &v1alpha1.ExpressionPolicy{Formula: formula}
		c := compileExpression(e)
		if c.err != nil {
			if c.err.Error() == "" {
				t.Fatalf("formula %q: an empty compile error", formula)
			}
			return
		}
		r := &fuzzReader{b: data}
		in := fuzzInput(r)
		if stale {
			in.FluxFresh = false
		}
		in.Spec.Policies = []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyExpression, Expression: e}}
		s := resolve(&in.Spec, in.TargetMax)
		sig := &signals{now: in.Now, current: max(in.Current, 0), hi: s.hi, lo: s.lo, fluxWanted: true, flux: in.Flux, pods: in.Pods}
		if stale {
			sig.flux = nil
		}
		got := c.eval(exprVarsFor(sig, c.loc))
		if got.cost > ExpressionCostLimit {
			t.Errorf("formula %q cost %d, above the limit %d", formula, got.cost, ExpressionCostLimit)
		}
		if got.size < 0 {
			t.Errorf("formula %q: size %d", formula, got.size)
		}
		again := c.eval(exprVarsFor(sig, c.loc))
		if got.size != again.size || got.unknown != again.unknown || (got.err == nil) != (again.err == nil) || got.cost != again.cost {
			t.Errorf("formula %q: two evaluations differ: %+v, %+v", formula, got, again)
		}
		in.Expressions = CompileExpressions(&in.Spec)
		d := Decide(in)
		if again := Decide(cloneInput(in)); !cmp.Equal(d, again) {
			t.Fatalf("same input, different output:\n%s", cmp.Diff(d, again))
		}
		checkInvariants(t, in, d)
	})
}

// TestExpressionMatchesQueueDepth: "busy + pending" recommends what QueueDepth does, over
// the inputs FuzzDecide draws.
func TestExpressionMatchesQueueDepth(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	qd := []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyQueueDepth}}
	ex := []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyExpression, Expression: &v1alpha1.ExpressionPolicy{Formula: "busy + pending"}}}
	exprs := CompileExpressions(&v1alpha1.ScalingPolicySpec{Policies: ex})
	compared := 0
	for range 2000 {
		b := make([]byte, 64+rng.IntN(512))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		in := fuzzInput(&fuzzReader{b: b})
		in.Spec.Policies = qd
		want := Decide(cloneInput(in))
		in.Spec.Policies, in.Expressions = ex, exprs
		got := Decide(in)
		if len(want.Recommendations) == 0 || want.Recommendations[0].Policy != "QueueDepth" {
			continue
		}
		compared++
		if got.Recommendations[0].Size != want.Recommendations[0].Size || got.Desired != want.Desired {
			t.Fatalf("busy + pending recommends %d (desired %d), QueueDepth %d (desired %d); input %+v",
				got.Recommendations[0].Size, got.Desired, want.Recommendations[0].Size, want.Desired, in)
		}
	}
	if compared < 100 {
		t.Fatalf("only %d inputs had a QueueDepth recommendation", compared)
	}
}
