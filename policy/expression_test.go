package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// expression makes the input's only policy an Expression policy with formula.
func (w *inputWrapper) expression(formula string) *inputWrapper {
	return w.expressionIn(formula, "")
}

// expressionIn is expression with the hour, minute and weekday in zone tz.
func (w *inputWrapper) expressionIn(formula, tz string) *inputWrapper {
	w.in.Spec.Policies = []v1alpha1.PolicySpec{{
		Type:       v1alpha1.PolicyExpression,
		Expression: &v1alpha1.ExpressionPolicy{Formula: formula, TimeZone: tz},
	}}
	return w
}

// exprFixture: size 4 of max 10 at t0 (Monday 12:00 UTC); ranks 0-2 busy, 3 free, 4-5 down;
// pending jobs of 2 and 3 nodes and one of 12 (unsatisfiable); one held job, one running.
func exprFixture() *inputWrapper {
	w := makeInput(4, 10).ranks(6, 4).alloc(0, 1, 2).pending(2, 3, 12)
	w.in.Flux.Counts.Held = 1
	w.in.Flux.Counts.Run = 1
	return w
}

// TestExpressionAccepted lists formulas that compile and what they recommend on exprFixture;
// the README's examples are among them.
func TestExpressionAccepted(t *testing.T) {
	cases := []struct {
		name, formula, tz string
		want              Recommendation
	}{
		{name: "QueueDepth's number", formula: "busy + pending",
			want: Recommendation{Policy: "Expression", Size: 8, Reason: `"busy + pending" = 8`}},
		{name: "README 1: two idle nodes in work hours", tz: "Europe/Paris",
			formula: "busy + math.greatest(pending, weekday >= 1 && weekday <= 5 && hour >= 8 && hour < 18 ? 2 : 0)",
			want: Recommendation{Policy: "Expression", Size: 8,
				Reason: `"busy + math.greatest(pending, weekday >= 1 && weekday <= 5 && hour >= 8 && hour < 18 ? 2 : 0)" = 8`}},
		{name: "README 1 with nothing pending", tz: "Europe/Paris",
			formula: "busy + math.greatest(pendingJobs - 2, weekday >= 1 && weekday <= 5 && hour >= 8 && hour < 18 ? 2 : 0)",
			want: Recommendation{Policy: "Expression", Size: 5,
				Reason: `"busy + math.greatest(pendingJobs - 2, weekday >= 1 && weekday <= 5 && hour >= 8 && hour < 18 ? 2 : 0)" = 5`}},
		{name: "README 2: four small jobs per node, rounded up", formula: "double(busy) + double(pendingJobs) / 4.0",
			want: Recommendation{Policy: "Expression", Size: 4, Reason: `"double(busy) + double(pendingJobs) / 4.0" = 3.5, rounded up to 4`}},
		{name: "README 3: at night, at most half the max", formula: "hour >= 22 || hour < 6 ? math.least(busy + pending, maxSize / 2) : busy + pending",
			want: Recommendation{Policy: "Expression", Size: 8,
				Reason: `"hour >= 22 || hour < 6 ? math.least(busy + pending, maxSize / 2) : busy + pending" = 8`}},
		{name: "held jobs: grow by one", formula: "heldJobs > 0 ? current + 1 : current",
			want: Recommendation{Policy: "Expression", Size: 5, Reason: `"heldJobs > 0 ? current + 1 : current" = 5`}},
		{name: "a double rounded up", formula: "double(busy) * 1.5",
			want: Recommendation{Policy: "Expression", Size: 5, Reason: `"double(busy) * 1.5" = 4.5, rounded up to 5`}},
		{name: "negative counts as 0", formula: "free - 5",
			want: Recommendation{Policy: "Expression", Size: 0, Reason: `"free - 5" = -4`}},
		{name: "above int32 saturates", formula: "maxSize * 1000000000000",
			want: Recommendation{Policy: "Expression", Size: 2147483647, Reason: `"maxSize * 1000000000000" = 10000000000000`}},
		{name: "the time as a timestamp", formula: "now.getHours('America/New_York')",
			want: Recommendation{Policy: "Expression", Size: 7, Reason: `"now.getHours('America/New_York')" = 7`}},
		{name: "comparisons across int and double", formula: "up > 2.5 ? unsatisfiableJobs + runningJobs : 0",
			want: Recommendation{Policy: "Expression", Size: 2, Reason: `"up > 2.5 ? unsatisfiableJobs + runningJobs : 0" = 2`}},
		{name: "a list comprehension within the cost limit", formula: "[busy, pending, free].filter(x, x > 1).size()",
			want: Recommendation{Policy: "Expression", Size: 2, Reason: `"[busy, pending, free].filter(x, x > 1).size()" = 2`}},
		{name: "an element of a mixed list (dyn) that is an int", formula: "[current, 2.5][0]",
			want: Recommendation{Policy: "Expression", Size: 4, Reason: `"[current, 2.5][0]" = 4`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := exprFixture().expressionIn(tc.formula, tc.tz).obj()
			d := Decide(in)
			if len(d.Problems) > 0 {
				t.Fatalf("Problems: %q", d.Problems)
			}
			if diff := cmp.Diff([]Recommendation{tc.want}, d.Recommendations); diff != "" {
				t.Errorf("Recommendations (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExpressionRejected lists formulas that do not compile with the message the user
// sees: ScalingActive False, reason InvalidPolicy, "the spec has errors (the parts
// concerned are skipped): " followed by these.
func TestExpressionRejected(t *testing.T) {
	const vars = ": the variables are pending, pendingJobs, heldJobs, unsatisfiableJobs, runningJobs, busy, free, up, " +
		"current, minSize, maxSize, hint, hour, minute, weekday, cpuPercent, now"
	cases := []struct {
		name, formula, tz, want string
	}{
		{name: "misspelled variable", formula: "busy + pendng",
			want: "policies[0] (Expression): expression.formula, column 8: undeclared reference to 'pendng'" + vars},
		{name: "second line", formula: "busy +\n  idle",
			want: "policies[0] (Expression): expression.formula, line 2 column 3: undeclared reference to 'idle'" + vars},
		{name: "formula ends early", formula: "busy +",
			want: "policies[0] (Expression): expression.formula, column 7: Syntax error: mismatched input '<EOF>': the formula ends too early"},
		{name: "int times double", formula: "current * 1.5",
			want: "policies[0] (Expression): expression.formula, column 9: found no matching overload for '_*_' applied to '(int, double)': " +
				"convert one side with double(x) or int(x), as CEL does not mix int and double in arithmetic"},
		{name: "a bool is no size", formula: "pending > 0",
			want: "policies[0] (Expression): expression.formula, column 1: returns bool, not a size: return an int or a double (a double is rounded up), e.g. int(x) or x ? 4 : 1"},
		{name: "a string is no size", formula: "'4'",
			want: "policies[0] (Expression): expression.formula, column 1: returns string, not a size: return an int or a double (a double is rounded up), e.g. int(x) or x ? 4 : 1"},
		{name: "a uint is no size", formula: "uint(busy)",
			want: "policies[0] (Expression): expression.formula, column 1: returns uint, not a size: return an int or a double (a double is rounded up), e.g. int(x) or x ? 4 : 1"},
		{name: "unknown function", formula: "max(busy, 2)",
			want: "policies[0] (Expression): expression.formula, column 4: undeclared reference to 'max'" + vars},
		{name: "estimated cost over the limit",
			formula: "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, a*b*c))).size()",
			want: "policies[0] (Expression): expression.formula may cost up to 20652 to evaluate, more than the limit of 10000: " +
				"use fewer or smaller list comprehensions (map, filter, all, exists)"},
		{name: "empty", formula: "  ",
			want: "policies[0] (Expression): expression.formula is empty: write a CEL expression returning the size, such as busy + pending"},
		{name: "bad time zone", formula: "busy", tz: "Mars/Olympus",
			want: `policies[0] (Expression): expression.timeZone "Mars/Olympus" is not an IANA zone name (such as Europe/Paris): unknown time zone Mars/Olympus`},
		{name: "Local time zone", formula: "busy", tz: "Local",
			want: `policies[0] (Expression): expression.timeZone "Local" depends on the controller's machine: use an IANA name such as Europe/Paris, or leave it empty for UTC`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := exprFixture().expressionIn(tc.formula, tc.tz).obj()
			exprs := CompileExpressions(&in.Spec)
			if diff := cmp.Diff([]string{tc.want}, ExpressionProblems(&in.Spec, exprs)); diff != "" {
				t.Errorf("ExpressionProblems (-want +got):\n%s", diff)
			}
			in.Expressions = exprs
			d := Decide(in)
			if diff := cmp.Diff([]string{tc.want}, d.Problems); diff != "" {
				t.Errorf("Decision.Problems (-want +got):\n%s", diff)
			}
			if len(d.Recommendations) != 0 || d.Desired != in.Current || d.Scale {
				// Skipped, and no shrink to minSize for a typo.
				t.Errorf("Desired %d (Scale %v), Recommendations %v: want none, current %d held",
					d.Desired, d.Scale, d.Recommendations, in.Current)
			}
		})
	}
}

// TestExpressionWithoutBlock: a type Expression policy built in Go without its block.
func TestExpressionWithoutBlock(t *testing.T) {
	in := exprFixture().obj()
	in.Spec.Policies = []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyExpression}}
	want := []string{"policies[0] (Expression): expression is required when type is Expression: " +
		"set expression.formula to a CEL expression returning the size"}
	if diff := cmp.Diff(want, Decide(in).Problems); diff != "" {
		t.Errorf("Problems (-want +got):\n%s", diff)
	}
}

// TestExpressionVariables: every variable's value on exprFixture.
func TestExpressionVariables(t *testing.T) {
	in := exprFixture().hint("app", 6, v1alpha1.HintFloor, 30*24*time.Hour).obj()
	in.Now = time.Date(2026, 11, 7, 23, 45, 0, 0, time.UTC) // a Saturday
	in.Pods = &PodUsage{CPUPercent: 73, Pods: 4}
	want := map[string]int32{
		"pending": 5, "pendingJobs": 2, "heldJobs": 1, "unsatisfiableJobs": 1, "runningJobs": 1,
		"busy": 3, "free": 1, "up": 4, "current": 4, "minSize": 1, "maxSize": 10, "hint": 6,
		"hour": 23, "minute": 45, "weekday": 6, "cpuPercent": 73, "now.getDayOfMonth() + 1": 7,
	}
	got := map[string]int32{}
	for formula := range want {
		in.Spec.Policies = []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyExpression, Expression: &v1alpha1.ExpressionPolicy{Formula: formula}}}
		d := Decide(in)
		for _, r := range d.Recommendations {
			if r.Policy == "Expression" {
				got[formula] = r.Size
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
	for _, name := range ExpressionVariables() {
		if _, ok := want[name]; !ok && name != "now" {
			t.Errorf("variable %s is not tested", name)
		}
	}
}

// TestExpressionTimeZone: hour and weekday follow timeZone; UTC when empty.
func TestExpressionTimeZone(t *testing.T) {
	// t0 is Monday 12:00 UTC: 13:00 in Paris, 21:00 in Tokyo, 07:00 Monday in New York,
	// and Sunday 23:00 at UTC-13... Pacific/Pago_Pago is UTC-11: Monday 01:00.
	cases := map[string]int32{"": 112, "Europe/Paris": 113, "Asia/Tokyo": 121, "America/New_York": 107, "Pacific/Pago_Pago": 101}
	for tz, want := range cases {
		d := Decide(exprFixture().expressionIn("weekday * 100 + hour", tz).obj())
		if len(d.Recommendations) != 1 || d.Recommendations[0].Size != want {
			t.Errorf("timeZone %q: recommendations %v, want size %d", tz, d.Recommendations, want)
		}
	}
}

// TestExpressionNeverShrinksBlind: a formula that cannot be evaluated (an unknown signal,
// a runtime error) recommends nothing and no policy shrinks the target meanwhile.
func TestExpressionNeverShrinksBlind(t *testing.T) {
	cases := []struct {
		name    string
		in      Input
		message string // a part of Decision.Message
	}{{
		name:    "stale Flux state",
		in:      exprFixture().expression("busy").stale(t0.Add(-time.Minute)).obj(),
		message: "no policy could recommend (signals missing): holding 4",
	}, {
		name:    "CPU use unknown",
		in:      exprFixture().expression("cpuPercent > 80 ? current + 1 : current - 2").obj(),
		message: "no policy could recommend (signals missing): holding 4",
	}, {
		name: "division by zero",
		in:   exprFixture().expression("busy / (free - 1)").obj(),
		message: `policies[0] (Expression) "busy / (free - 1)" could not be evaluated: division by zero; ` +
			"it recommends nothing, and nothing shrinks meanwhile",
	}, {
		name: "integer overflow",
		in:   exprFixture().expression("9223372036854775807 + busy").obj(),
		message: `policies[0] (Expression) "9223372036854775807 + busy" could not be evaluated: integer overflow; ` +
			"it recommends nothing, and nothing shrinks meanwhile",
	}, {
		name: "a double divided by zero",
		in:   exprFixture().expression("double(busy) / double(free - 1)").obj(),
		message: `policies[0] (Expression) "double(busy) / double(free - 1)" could not be evaluated: ` +
			"it returned +Inf, not a size (a double divided by zero?); it recommends nothing, and nothing shrinks meanwhile",
	}, {
		name: "a dyn that is a string",
		in:   exprFixture().expression("[1, 'two'][busy - 2]").obj(),
		message: `policies[0] (Expression) "[1, 'two'][busy - 2]" could not be evaluated: ` +
			"it returned a string, not an int or a double; it recommends nothing, and nothing shrinks meanwhile",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A second policy that alone would shrink to minSize.
			tc.in.Spec.Policies = append(tc.in.Spec.Policies, v1alpha1.PolicySpec{Type: v1alpha1.PolicySchedule,
				Schedule: []v1alpha1.ScheduleWindow{{Cron: "0 0 1 1 *", DurationMinutes: 1, MinSize: 1}}})
			d := Decide(tc.in)
			if d.Desired != tc.in.Current || d.Scale {
				t.Errorf("Desired %d (Scale %v), want current %d held", d.Desired, d.Scale, tc.in.Current)
			}
			if len(d.Problems) > 0 {
				t.Errorf("Problems %q: a runtime fault is not a spec error", d.Problems)
			}
			if !strings.Contains(d.Message, tc.message) {
				t.Errorf("Message %q lacks %q", d.Message, tc.message)
			}
		})
	}
}

// TestExpressionShortCircuitsUnknown: an unknown signal that does not decide the value
// (CEL's || and ?: absorb it) leaves the formula a size.
func TestExpressionShortCircuitsUnknown(t *testing.T) {
	d := Decide(exprFixture().expression("pending > 0 || cpuPercent > 80 ? current + 2 : current").obj())
	want := []Recommendation{{Policy: "Expression", Size: 6, Reason: `"pending > 0 || cpuPercent > 80 ? current + 2 : current" = 6`}}
	if diff := cmp.Diff(want, d.Recommendations); diff != "" {
		t.Errorf("Recommendations (-want +got):\n%s", diff)
	}
}

// TestExpressionSourceNone: with flux.source None, a formula over Flux variables is a spec
// problem; one over the size and time still recommends.
func TestExpressionSourceNone(t *testing.T) {
	in := exprFixture().expression("busy + pending").obj()
	in.Spec.Flux.Source = v1alpha1.SourceNone
	want := []string{"policies[0] (Expression): expression.formula reads Flux variables (pending, busy), but flux.source is None: " +
		"set flux.source, or write the formula without them"}
	if diff := cmp.Diff(want, Decide(in).Problems); diff != "" {
		t.Errorf("Problems (-want +got):\n%s", diff)
	}
	in = exprFixture().expression("hour >= 8 && hour < 18 ? 6 : minSize").obj()
	in.Spec.Flux.Source = v1alpha1.SourceNone
	if d := Decide(in); len(d.Problems) > 0 || len(d.Recommendations) != 1 || d.Recommendations[0].Size != 6 {
		t.Errorf("Problems %q, Recommendations %v: want 6", d.Problems, d.Recommendations)
	}
}

// TestExpressionDescription names the formula in the reason.
func TestExpressionDescription(t *testing.T) {
	in := exprFixture().expression("busy + 2").obj()
	in.Spec.Policies[0].Expression.Description = "busy plus two spare"
	want := []Recommendation{{Policy: "Expression", Size: 5, Reason: `"busy plus two spare" = 5`}}
	if diff := cmp.Diff(want, Decide(in).Recommendations); diff != "" {
		t.Errorf("Recommendations (-want +got):\n%s", diff)
	}
}

// TestExpressionsCompiledElsewhere: Expressions compiled for another spec (a stale cache)
// give the same decision as those compiled for this one, and as none.
func TestExpressionsCompiledElsewhere(t *testing.T) {
	in := exprFixture().expression("busy + pending").obj()
	other := exprFixture().expression("busy").obj()
	none := Decide(in)
	in.Expressions = CompileExpressions(&other.Spec)
	if d := Decide(in); !cmp.Equal(none, d) {
		t.Errorf("stale Expressions changed the decision:\n%s", cmp.Diff(none, d))
	}
	in.Expressions = CompileExpressions(&in.Spec)
	if d := Decide(in); !cmp.Equal(none, d) {
		t.Errorf("compiled Expressions changed the decision:\n%s", cmp.Diff(none, d))
	}
}

// TestExpressionReads names the variables a formula refers to.
func TestExpressionReads(t *testing.T) {
	e := &v1alpha1.ExpressionPolicy{Formula: "cpuPercent > 80 ? current + 1 : [busy].map(x, x + hour)[0]"}
	exprs := CompileExpressions(&v1alpha1.ScalingPolicySpec{Policies: []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyExpression, Expression: e}}})
	if diff := cmp.Diff([]string{"busy", "cpuPercent", "current", "hour"}, exprs.Reads(e)); diff != "" {
		t.Errorf("Reads (-want +got):\n%s", diff)
	}
}
