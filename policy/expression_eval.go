package policy

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// expressionPolicy recommends what its formula returns.
//
// A formula whose value depends on a variable that is unknown (Flux state missing or stale,
// the pods' CPU use unknown) or that fails to evaluate (a division by zero, an overflow, the
// cost limit) recommends nothing and counts as lacking its data, so no other policy can
// shrink the target meanwhile: a broken formula never shrinks anything. A formula that does
// not compile is a spec problem (InvalidPolicy): it is skipped, and holds the size likewise.
type expressionPolicy struct {
	spec *v1alpha1.ExpressionPolicy
}

func (p expressionPolicy) recommend(s *signals) outcome {
	// A formula that cannot run counts as lacking its data too: a typo must not shrink
	// the target to minSize.
	c, err := s.exprs.lookup(p.spec)
	if err != nil {
		return outcome{missing: true, problems: []string{expressionProblem(s.index, err)}}
	}
	if !s.fluxWanted && c.readsAny(fluxVariables) {
		return outcome{missing: true, problems: []string{expressionProblem(s.index, fmt.Errorf(
			"expression.formula reads Flux variables (%s), but flux.source is None: "+
				"set flux.source, or write the formula without them", strings.Join(c.readsOf(fluxVariables), ", ")))}}
	}
	r := c.eval(exprVarsFor(s, c.loc))
	name := expressionName(p.spec)
	switch {
	case r.err != nil:
		return outcome{missing: true, notes: []string{fmt.Sprintf(
			"policies[%d] (Expression) %s could not be evaluated: %v; it recommends nothing, and nothing shrinks meanwhile",
			s.index, name, r.err)}}
	case r.unknown:
		return outcome{missing: true}
	}
	reason := fmt.Sprintf("%s = %s", name, r.text)
	return outcome{ok: true, rec: Recommendation{Policy: string(v1alpha1.PolicyExpression), Size: r.size, Reason: reason}}
}

// expressionName is how reasons name a formula: its description, else the formula, cut.
func expressionName(e *v1alpha1.ExpressionPolicy) string {
	if e.Description != "" {
		return strconv.Quote(e.Description)
	}
	const most = 120
	f := strings.Join(strings.Fields(e.Formula), " ")
	if r := []rune(f); len(r) > most {
		f = string(r[:most-3]) + "..."
	}
	return strconv.Quote(f)
}

// evalResult is one evaluation of a formula.
type evalResult struct {
	// size is the recommendation, when neither unknown nor err.
	size int32
	// text is the value as the formula returned it (6.2 -> 7 shows the rounding).
	text string
	// unknown is set when the value depends on a variable that is unknown.
	unknown bool
	err     error
	// cost is what cel-go counted for the evaluation.
	cost uint64
}

// eval evaluates c with v. It never panics on a formula that compiled: cel-go turns
// runtime faults into errors, and the cost limit stops runaway comprehensions.
func (c *compiledExpression) eval(v *exprVars) evalResult {
	val, det, err := c.prg.Eval(v.withUnknown(c))
	var r evalResult
	if det != nil && det.ActualCost() != nil {
		r.cost = *det.ActualCost()
	}
	if err != nil {
		r.err = err
		return r
	}
	if types.IsUnknown(val) {
		r.unknown = true
		return r
	}
	r.size, r.text, r.err = sizeOf(val)
	return r
}

// sizeOf reads a formula's value as a size: an int as is, a double rounded up; negative
// values count as 0, values above the int32 range as its maximum (the bounds clamp both).
// NaN and infinities are errors: a double divided by zero is no size.
func sizeOf(val ref.Val) (int32, string, error) {
	switch v := val.(type) {
	case types.Int:
		return toInt32(max(int64(v), 0)), strconv.FormatInt(int64(v), 10), nil
	case types.Double:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, "", fmt.Errorf("it returned %v, not a size (a double divided by zero?)", f)
		}
		text := strconv.FormatFloat(f, 'g', -1, 64)
		c := math.Ceil(f)
		size := int32(min(max(c, 0), math.MaxInt32))
		if c != f {
			text += ", rounded up to " + strconv.Itoa(int(size))
		}
		return size, text, nil
	case *types.Err:
		return 0, "", v
	}
	return 0, "", errors.New("it returned a " + val.Type().(ref.Type).TypeName() + ", not an int or a double")
}

// readsAny reports whether the formula refers to one of names.
func (c *compiledExpression) readsAny(names []string) bool {
	for _, n := range names {
		if c.reads[n] {
			return true
		}
	}
	return false
}

// readsOf are the names among names the formula refers to, in names' order.
func (c *compiledExpression) readsOf(names []string) []string {
	var out []string
	for _, n := range names {
		if c.reads[n] {
			out = append(out, n)
		}
	}
	return out
}

// exprVars are a formula's variables for one decision. It is the CEL activation itself, so
// an evaluation resolves names with a switch instead of building a map.
type exprVars struct {
	// fluxKnown and cpuKnown are false when those signals are unknown.
	fluxKnown, cpuKnown bool

	pending, pendingJobs, heldJobs, unsatisfiableJobs, runningJobs int64
	busy, free, up                                                 int64
	current, minSize, maxSize, hint                                int64
	hour, minute, weekday                                          int64
	cpuPercent                                                     int64
	now                                                            time.Time

	// unknown are the patterns of the unknown variables, from the compiled formula.
	unknown []*interpreter.AttributePattern
}

// exprVarsFor fills a formula's variables from s, the hour, minute and weekday in loc.
func exprVarsFor(s *signals, loc *time.Location) *exprVars {
	local := s.now.In(loc)
	v := &exprVars{
		current: int64(s.current), minSize: int64(s.lo), maxSize: int64(s.hi), hint: int64(s.hint),
		hour: int64(local.Hour()), minute: int64(local.Minute()), weekday: int64(local.Weekday()),
		now: s.now,
	}
	if f := s.flux; f != nil {
		v.fluxKnown = true
		d := pendingDemandOf(f, s.hi)
		v.pending, v.pendingJobs, v.unsatisfiableJobs = d.nodes, d.jobs, d.unsatisfiable
		v.heldJobs = int64(max(f.Counts.Held, 0))
		v.runningJobs = int64(max(f.Counts.Run, 0)) + int64(max(f.Counts.Cleanup, 0))
		v.busy = busyNodes(f)
		v.free = int64(max(f.Nodes.Free, 0))
		v.up = int64(max(f.Nodes.Up, 0))
	}
	if p := s.pods; p != nil && p.Pods > 0 {
		v.cpuKnown = true
		v.cpuPercent = int64(max(p.CPUPercent, 0))
	}
	return v
}

// withUnknown sets the patterns of c for the variables v does not know.
func (v *exprVars) withUnknown(c *compiledExpression) *exprVars {
	switch {
	case !v.fluxKnown && !v.cpuKnown:
		v.unknown = c.unknownBoth
	case !v.fluxKnown:
		v.unknown = c.unknownFlux
	case !v.cpuKnown:
		v.unknown = c.unknownCPU
	default:
		v.unknown = nil
	}
	return v
}

// ResolveName implements interpreter.Activation. Unknown variables resolve to nothing:
// their patterns (UnknownAttributePatterns) make the interpreter treat them as unknown.
func (v *exprVars) ResolveName(name string) (any, bool) {
	switch name {
	case "current":
		return types.Int(v.current), true
	case "minSize":
		return types.Int(v.minSize), true
	case "maxSize":
		return types.Int(v.maxSize), true
	case "hint":
		return types.Int(v.hint), true
	case "hour":
		return types.Int(v.hour), true
	case "minute":
		return types.Int(v.minute), true
	case "weekday":
		return types.Int(v.weekday), true
	case nowVariable:
		return types.Timestamp{Time: v.now}, true
	case cpuVariable:
		return types.Int(v.cpuPercent), v.cpuKnown
	}
	if !v.fluxKnown {
		return nil, false
	}
	switch name {
	case "pending":
		return types.Int(v.pending), true
	case "pendingJobs":
		return types.Int(v.pendingJobs), true
	case "heldJobs":
		return types.Int(v.heldJobs), true
	case "unsatisfiableJobs":
		return types.Int(v.unsatisfiableJobs), true
	case "runningJobs":
		return types.Int(v.runningJobs), true
	case "busy":
		return types.Int(v.busy), true
	case "free":
		return types.Int(v.free), true
	case "up":
		return types.Int(v.up), true
	}
	return nil, false
}

// Parent implements interpreter.Activation: there is none.
func (v *exprVars) Parent() interpreter.Activation { return nil }

// UnknownAttributePatterns implements interpreter.PartialActivation.
func (v *exprVars) UnknownAttributePatterns() []*interpreter.AttributePattern { return v.unknown }

// AsPartialActivation is how cel-go's interpreter finds the unknown patterns of an
// activation: without it, an unknown variable is an error, not an unknown.
func (v *exprVars) AsPartialActivation() (interpreter.PartialActivation, bool) { return v, true }

var _ interpreter.PartialActivation = (*exprVars)(nil)

// pendingDemand is what the pending jobs ask for, counted as QueueDepth counts them.
type pendingDemand struct {
	// nodes is the node demand of the pending jobs that fit within the max size, plus one
	// node per job counted but not listed.
	nodes int64
	// jobs counts the pending jobs that fit; unsatisfiable those larger than the max size.
	jobs, unsatisfiable int64
}

// pendingDemandOf counts f's pending jobs against the effective max size hi.
func pendingDemandOf(f *FluxState, hi int32) pendingDemand {
	var d pendingDemand
	for i := range f.Pending {
		n := jobNodes(&f.Pending[i], f.CoresPerNode)
		if n > int64(hi) {
			d.unsatisfiable++
			continue
		}
		d.nodes += n
	}
	counted := int64(f.Counts.Depend) + int64(f.Counts.Priority) + int64(f.Counts.Sched)
	unlisted := max(counted-int64(len(f.Pending)), 0)
	d.nodes += unlisted
	d.jobs = max(max(counted, int64(len(f.Pending)))-d.unsatisfiable, 0)
	return d
}

// noSizes is a cost estimator that knows nothing beyond what CEL knows: every variable is a
// scalar, so only list literals and comprehensions over them have sizes, which CEL sees.
type noSizes struct{}

func (noSizes) EstimateSize(checker.AstNode) *checker.SizeEstimate { return nil }

func (noSizes) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}
