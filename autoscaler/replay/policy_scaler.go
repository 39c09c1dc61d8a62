package replay

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/signals"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/policy"
)

// drainReason is the reason the controller gives Flux for its drains.
const drainReason = "fluxscale: scale-down"

// eventGap bounds event-triggered decisions to one per second of virtual time, as the
// controller's workqueue coalesces a burst of triggers into one reconcile.
const eventGap = time.Second

// PolicyScaler decides with policy.Decide and applies the Decision as the controller does:
// it owns the ranks it drained (and when the drain began), keeps the decision History, and
// resizes the target when the Decision says Scale. Hints are what Post gave it, as the
// controller passes the hint store's records, expired ones included.
type PolicyScaler struct {
	label   string
	spec    v1alpha1.ScalingPolicySpec
	cadence Cadence
	// view turns the Flux state into what policy sees from the source.
	view         func(flux.State) *policy.FluxState
	history      policy.History
	owned        flux.RankSet
	drainStarted time.Time
	// seen is the Flux state policy last saw and its Version: most polls find the state
	// unchanged, and a long queue makes reading and converting it the replay's main cost.
	seen        *policy.FluxState
	seenVersion uint64
	// exprs are spec's Expression policies, compiled once for the whole replay.
	exprs *policy.Expressions
	// hints are the hints posted so far.
	hints []policy.Hint
	// external feeds the External policies; origin is the first decision's time, from
	// which its offsets count.
	external ExternalFeed
	origin   time.Time
}

// SetExternal feeds spec's External policies from f for every later decision.
func (p *PolicyScaler) SetExternal(f ExternalFeed) { p.external = f }

// Post records an application hint for every later decision, as the hint API records it
// for the controller; policy ignores it once it has expired.
func (p *PolicyScaler) Post(h policy.Hint) { p.hints = append(p.hints, h) }

// NewPolicyScaler decides with spec (policy.Defaulted is applied) every pollIntervalSeconds
// and after each Flux state change, reading per-rank state as the Exec and Agent sources do.
func NewPolicyScaler(label string, spec v1alpha1.ScalingPolicySpec) *PolicyScaler {
	spec = policy.Defaulted(spec)
	return &PolicyScaler{
		label: label,
		spec:  spec,
		cadence: Cadence{
			Period: time.Duration(spec.PollIntervalSeconds) * time.Second, OnChange: true, MinGap: eventGap,
		},
		view:  signals.FluxInput,
		exprs: policy.CompileExpressions(&spec),
	}
}

// Name is the label.
func (p *PolicyScaler) Name() string { return p.label }

// InitialSize is minSize: a new MiniCluster starts small and grows on demand.
func (p *PolicyScaler) InitialSize() int32 { return p.spec.MinSize }

// Cadence is the poll interval plus event triggers.
func (p *PolicyScaler) Cadence() Cadence { return p.cadence }

// Decide runs policy.Decide on the cluster's state and applies the Decision (nothing under
// dryRun): undrain, drain, then resize.
func (p *PolicyScaler) Decide(ctx context.Context, cl *simulated.Cluster) error {
	if v := cl.Version(); p.seen == nil || v != p.seenVersion {
		st, err := cl.State(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", p.label, err)
		}
		p.seen, p.seenVersion = p.view(st), st.Version
	}
	now := cl.Now()
	if p.origin.IsZero() {
		p.origin = now
	}
	current := cl.Size()
	d := policy.Decide(policy.Input{
		Now: now, Spec: p.spec, Current: current, TargetMax: cl.MaxSize(),
		Flux: p.seen, FluxFresh: true, FluxLastGood: now,
		History: p.history, Draining: p.owned, DrainStarted: p.drainStarted, Expressions: p.exprs,
		Hints: p.hints, External: p.external.readings(now.Sub(p.origin)),
	})
	p.history = d.History
	if p.spec.DryRun {
		return nil
	}
	if len(d.Undrain) > 0 {
		ranks := flux.NewRankSet(d.Undrain...)
		if err := cl.Undrain(ctx, ranks); err != nil {
			return fmt.Errorf("%s at %s: applying the decision: %w", p.label, now.Format(time.RFC3339), err)
		}
		p.owned = slices.DeleteFunc(p.owned, ranks.Contains)
	}
	if len(d.Drain) > 0 {
		ranks := flux.NewRankSet(d.Drain...)
		if err := cl.Drain(ctx, ranks, drainReason); err != nil {
			return fmt.Errorf("%s at %s: applying the decision: %w", p.label, now.Format(time.RFC3339), err)
		}
		if len(p.owned) == 0 {
			p.drainStarted = now
		}
		p.owned = flux.NewRankSet(append(p.owned, ranks...)...)
	}
	if len(p.owned) == 0 {
		p.drainStarted = time.Time{}
	}
	if d.Scale && d.Desired != current {
		if err := cl.Resize(d.Desired); err != nil {
			return fmt.Errorf("%s at %s: applying the decision: %w", p.label, now.Format(time.RFC3339), err)
		}
	}
	return nil
}
