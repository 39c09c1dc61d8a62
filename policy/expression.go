package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// Limits of an Expression policy's formula.
const (
	// ExpressionCostLimit bounds both the cost cel-go estimates for a formula when it is
	// compiled (a formula that could exceed it is refused) and the cost one evaluation may
	// spend (it stops with an error). A cost unit is roughly one operation: busy + pending
	// costs 3, a map over a 100-element list a few hundred.
	ExpressionCostLimit = 10000
	// expressionSizeLimit is the longest formula in code points, the CRD's MaxLength.
	expressionSizeLimit = 2048
	// maxReportedIssues is how many of cel-go's errors a problem names.
	maxReportedIssues = 3
)

// The variables of a formula, by the signal they come from. They are CEL ints, except now
// (a timestamp). Flux variables are unknown while Flux state is missing or stale, and
// cpuPercent while the pods' CPU use is: a formula whose result depends on an unknown
// variable recommends nothing, and no shrink happens then (see expressionPolicy.recommend).
var (
	// fluxVariables are read from Flux state.
	fluxVariables = []string{
		"pending", "pendingJobs", "heldJobs", "unsatisfiableJobs", "runningJobs",
		"busy", "free", "up",
	}
	// sizeVariables are always known.
	sizeVariables = []string{"current", "minSize", "maxSize", "hint", "hour", "minute", "weekday"}
)

const (
	cpuVariable = "cpuPercent"
	nowVariable = "now"
)

// ExpressionVariables lists every variable a formula may read, in the README's order.
func ExpressionVariables() []string {
	out := slices.Concat(fluxVariables, sizeVariables)
	return append(out, cpuVariable, nowVariable)
}

// Expressions are the Expression policies of one spec, compiled. Compiling costs far more
// than evaluating (an environment, a parse, a type check and a cost estimate), so the
// controller compiles once per policy generation and the simulator once per replay, and
// both pass the result in Input.Expressions. An Expressions is never modified after
// CompileExpressions returns it, so concurrent decisions may share it.
type Expressions struct {
	// byKey holds each formula and time zone compiled, or why it could not be.
	byKey map[expressionKey]*compiledExpression
}

// expressionKey is what a compiled formula depends on.
type expressionKey struct {
	formula, timeZone string
}

// compiledExpression is one formula ready to evaluate, or the reason it is not.
type compiledExpression struct {
	prg cel.Program
	loc *time.Location
	// err is set when the formula did not compile; prg is nil then.
	err error
	// reads are the variables the formula refers to.
	reads map[string]bool
	// unknownFlux, unknownCPU and unknownBoth are the activation patterns that mark the
	// Flux variables, cpuPercent, or both as unknown.
	unknownFlux, unknownCPU, unknownBoth []*interpreter.AttributePattern
}

// CompileExpressions compiles every Expression policy of spec. A formula that does not
// compile is kept with its error: Decide reports it in Decision.Problems (so the controller
// shows it in ScalingActive) and skips that policy.
func CompileExpressions(spec *v1alpha1.ScalingPolicySpec) *Expressions {
	out := &Expressions{byKey: map[expressionKey]*compiledExpression{}}
	for i := range spec.Policies {
		if e := spec.Policies[i].Expression; e != nil && spec.Policies[i].Type == v1alpha1.PolicyExpression {
			out.add(e)
		}
	}
	return out
}

// ExpressionProblems are the errors of spec's Expression policies that do not compile, in
// the words Decision.Problems uses; nil when every one compiles. fluxscale simulate --check
// prints them.
func ExpressionProblems(spec *v1alpha1.ScalingPolicySpec, exprs *Expressions) []string {
	var out []string
	for i := range spec.Policies {
		p := &spec.Policies[i]
		if p.Type != v1alpha1.PolicyExpression {
			continue
		}
		if _, err := exprs.lookup(p.Expression); err != nil {
			out = append(out, expressionProblem(i, err))
		}
	}
	return out
}

// Reads reports the variables the formula of e refers to, sorted; nil when it does not
// compile. The simulator uses it to say which variables it cannot fill.
func (x *Expressions) Reads(e *v1alpha1.ExpressionPolicy) []string {
	c, err := x.lookup(e)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(c.reads))
	for name := range c.reads {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// add compiles e unless a formula with its key is already there.
func (x *Expressions) add(e *v1alpha1.ExpressionPolicy) *compiledExpression {
	key := expressionKey{e.Formula, e.TimeZone}
	if c, ok := x.byKey[key]; ok {
		return c
	}
	c := compileExpression(e)
	x.byKey[key] = c
	return c
}

// lookup finds e's compiled formula. A formula missing from x (x nil, or compiled for
// another generation of the spec) is compiled on the spot: the decision is the same, only
// slower.
func (x *Expressions) lookup(e *v1alpha1.ExpressionPolicy) (*compiledExpression, error) {
	if e == nil {
		return nil, errExpressionMissing
	}
	var c *compiledExpression
	if x != nil {
		c = x.byKey[expressionKey{e.Formula, e.TimeZone}]
	}
	if c == nil {
		c = compileExpression(e)
	}
	return c, c.err
}

// errExpressionMissing is a type Expression policy without its expression block, which
// the CRD refuses; a spec built in Go may still have one.
var errExpressionMissing = errors.New("expression is required when type is Expression: set expression.formula to a CEL expression returning the size")

// expressionEnv is the CEL environment every formula is compiled in: the variables, the
// standard library with cel-go's math extension (math.greatest, math.least, math.ceil...),
// and comparisons across int and double (busy > 1.5).
func expressionEnv() (*cel.Env, error) {
	opts := make([]cel.EnvOption, 0, len(fluxVariables)+len(sizeVariables)+6)
	for _, name := range slices.Concat(fluxVariables, sizeVariables, []string{cpuVariable}) {
		opts = append(opts, cel.Variable(name, cel.IntType))
	}
	opts = append(opts,
		cel.Variable(nowVariable, cel.TimestampType),
		ext.Math(),
		cel.CrossTypeNumericComparisons(true),
		cel.ParserExpressionSizeLimit(expressionSizeLimit),
	)
	return cel.NewEnv(opts...)
}

// compileExpression parses, type-checks and plans e's formula, and bounds its estimated cost.
func compileExpression(e *v1alpha1.ExpressionPolicy) *compiledExpression {
	c := &compiledExpression{}
	if c.err = checkTimeZone(e.TimeZone); c.err != nil {
		return c
	}
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		c.err = fmt.Errorf("expression.timeZone %q is not an IANA zone name (such as Europe/Paris): %w", e.TimeZone, err)
		return c
	}
	c.loc = loc
	env, err := expressionEnv()
	if err != nil {
		// The environment is fixed: only a cel-go change could break it.
		c.err = fmt.Errorf("building the CEL environment: %w", err)
		return c
	}
	if strings.TrimSpace(e.Formula) == "" {
		c.err = errors.New("expression.formula is empty: write a CEL expression returning the size, such as busy + pending")
		return c
	}
	ast, iss := env.Compile(e.Formula)
	if iss != nil && iss.Err() != nil {
		c.err = issuesError(iss)
		return c
	}
	if err := checkOutputType(ast.OutputType()); err != nil {
		c.err = err
		return c
	}
	est, err := env.EstimateCost(ast, noSizes{})
	if err != nil {
		c.err = fmt.Errorf("expression.formula: estimating its cost: %w", err)
		return c
	}
	if est.Max > ExpressionCostLimit {
		c.err = fmt.Errorf("expression.formula may cost up to %d to evaluate, more than the limit of %d: "+
			"use fewer or smaller list comprehensions (map, filter, all, exists)", est.Max, ExpressionCostLimit)
		return c
	}
	c.prg, err = env.Program(ast,
		cel.EvalOptions(cel.OptPartialEval, cel.OptTrackCost),
		cel.CostLimit(ExpressionCostLimit))
	if err != nil {
		c.err = fmt.Errorf("expression.formula: planning it: %w", err)
		return c
	}
	c.reads = referencedVariables(ast)
	c.unknownFlux = patterns(fluxVariables...)
	c.unknownCPU = patterns(cpuVariable)
	c.unknownBoth = patterns(append(slices.Clone(fluxVariables), cpuVariable)...)
	return c
}

// checkTimeZone refuses "Local", which would move with the controller's machine.
func checkTimeZone(tz string) error {
	if tz == "Local" {
		return fmt.Errorf("expression.timeZone %q depends on the controller's machine: "+
			"use an IANA name such as Europe/Paris, or leave it empty for UTC", tz)
	}
	return nil
}

// checkOutputType accepts a formula returning an int or a double; dyn (what an element
// of a mixed list gives) is checked when evaluated.
func checkOutputType(t *cel.Type) error {
	switch t.Kind() {
	case types.IntKind, types.DoubleKind, types.DynKind:
		return nil
	}
	return &columnError{column: 1, line: 1, msg: fmt.Sprintf(
		"returns %s, not a size: return an int or a double (a double is rounded up), "+
			"e.g. int(x) or x ? 4 : 1", t)}
}

// referencedVariables are the declared variables ast refers to.
func referencedVariables(ast *cel.Ast) map[string]bool {
	declared := ExpressionVariables()
	out := map[string]bool{}
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if ref.Value == nil && slices.Contains(declared, ref.Name) {
			out[ref.Name] = true
		}
	}
	return out
}

// patterns are attribute patterns marking the named variables unknown.
func patterns(names ...string) []*interpreter.AttributePattern {
	out := make([]*interpreter.AttributePattern, len(names))
	for i, n := range names {
		out[i] = interpreter.NewAttributePattern(n)
	}
	return out
}

// columnError is a compile error at a place in the formula; line and column count from 1,
// the column in characters (code points).
type columnError struct {
	line, column int
	msg          string
}

func (e *columnError) Error() string {
	if e.line > 1 {
		return fmt.Sprintf("expression.formula, line %d column %d: %s", e.line, e.column, e.msg)
	}
	return fmt.Sprintf("expression.formula, column %d: %s", e.column, e.msg)
}

// issuesError turns cel-go's issues into one line naming the first few errors and their
// columns, with advice for the usual mistakes.
func issuesError(iss *cel.Issues) error {
	errs := iss.Errors()
	parts := make([]string, 0, maxReportedIssues+1)
	for i, e := range errs {
		if i == maxReportedIssues {
			parts = append(parts, fmt.Sprintf("and %d more errors", len(errs)-i))
			break
		}
		ce := &columnError{line: e.Location.Line(), column: e.Location.Column() + 1, msg: celMessage(e.Message)}
		parts = append(parts, ce.Error())
	}
	if len(parts) == 0 {
		return errors.New("expression.formula does not compile: " + iss.String())
	}
	return errors.New(strings.Join(parts, "; "))
}

// celMessage is a cel-go error message without its noise, with advice where a user can
// act on it.
func celMessage(msg string) string {
	msg = strings.TrimSuffix(msg, " (in container '')")
	if before, _, ok := strings.Cut(msg, " expecting {"); ok {
		// The parser lists every token it could take there: dozens of names, no help.
		msg = before
		if strings.Contains(msg, "'<EOF>'") {
			msg += ": the formula ends too early"
		}
	}
	switch {
	case strings.HasPrefix(msg, "undeclared reference to"):
		return msg + ": the variables are " + strings.Join(ExpressionVariables(), ", ")
	case strings.HasPrefix(msg, "found no matching overload for '_") && strings.Contains(msg, "int") && strings.Contains(msg, "double"):
		return msg + ": convert one side with double(x) or int(x), as CEL does not mix int and double in arithmetic"
	}
	return msg
}

// expressionProblem is how Decision.Problems names a formula's error.
func expressionProblem(i int, err error) string {
	return fmt.Sprintf("policies[%d] (Expression): %v", i, err)
}
