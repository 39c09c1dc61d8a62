package autoscaler

import (
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
)

// conditions are the conditions one reconcile sets. When the target could not be resolved
// only AbleToScale is set: the other conditions describe a decision, and none was made.
func conditions(o *outcome) []metav1.Condition {
	out := []metav1.Condition{ableToScale(o)}
	if o.targetProblem != nil || o.decision == nil {
		return out
	}
	out = append(out, scalingActive(o), scalingLimited(o), draining(o), fallbackActive(o))
	if o.watch != nil {
		out = append(out, fluxWatch(o.watch))
	}
	return out
}

// fluxWatch says whether Flux's changes reach the controller as they happen. Polling goes on
// in every state, so a broken watch only delays decisions; it never lets a stale state shrink.
func fluxWatch(h *source.WatchHealth) metav1.Condition {
	const typ = v1alpha1.ConditionFluxWatch
	at := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch h.State {
	case source.WatchBroken:
		return condition(typ, false, v1alpha1.ReasonWatchBroken,
			"following Flux's changes failed since %s: %s; reconnecting with backoff (tries at most 30 s apart); meanwhile the policy is read at its poll interval",
			at(h.Since), h.Err)
	case source.WatchUnavailable:
		return condition(typ, false, v1alpha1.ReasonJournalUnavailable,
			"Flux's journals cannot be followed here: %s; the policy is read at its poll interval (next try %s). The journals need flux-core 0.72 or later and the instance owner's identity",
			h.Err, at(h.Retry))
	}
	return condition(typ, true, v1alpha1.ReasonFollowing, "Flux's changes reach the controller as they happen (since %s)", at(h.Since))
}

func condition(typ string, status bool, reason, format string, args ...any) metav1.Condition {
	s := metav1.ConditionFalse
	if status {
		s = metav1.ConditionTrue
	}
	return metav1.Condition{Type: typ, Status: s, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// ableToScale says whether the target can be read and written, naming what failed.
func ableToScale(o *outcome) metav1.Condition {
	const typ = v1alpha1.ConditionAbleToScale
	switch {
	case o.targetProblem != nil:
		return condition(typ, false, o.targetProblem.Reason, "%s", o.targetProblem.Message)
	case apierrors.IsConflict(o.scaleErr):
		// Routine: the operator (or the Job controller) writes status right after each
		// resize, so the next write often meets it. The pass retries within a second.
		return condition(typ, true, v1alpha1.ReasonReadyForNewScale,
			"%s %s changed while its size was being written (status written after a resize); retrying", o.target.Kind, o.target.Name)
	case o.scaleErr != nil:
		return condition(typ, false, v1alpha1.ReasonFailedUpdateScale, "%v", o.scaleErr)
	case o.notApplied && o.scaled:
		t := o.target
		return condition(typ, true, v1alpha1.ReasonSucceededRescale,
			"MiniCluster %s had spec.size %d, which its operator did not apply (%s); set it back to %d, the size its Job runs",
			t.Name, o.scaledFrom, whyNotApplied(t, o.scaledFrom), o.scaledTo)
	case o.notApplied:
		t := o.target
		return condition(typ, false, v1alpha1.ReasonNotApplied,
			"MiniCluster %s has spec.size %d but its Job runs %d: the operator did not apply the size (%s); "+
				"fluxscale treats %d as the current size", t.Name, t.Current, t.Live, whyNotApplied(t, t.Current), t.Live)
	case o.dryRun:
		return condition(typ, true, v1alpha1.ReasonDryRun, "dry run: %s", dryRunActions(o))
	case o.scaled:
		return condition(typ, true, v1alpha1.ReasonSucceededRescale,
			"set the size of %s %s from %d to %d", o.target.Kind, o.target.Name, o.scaledFrom, o.scaledTo)
	}
	return condition(typ, true, v1alpha1.ReasonReadyForNewScale, "%s %s can be scaled (size %d)",
		o.target.Kind, o.target.Name, o.target.Current)
}

// whyNotApplied names the likely reason a MiniCluster's operator did not apply spec.size.
func whyNotApplied(t *target.Info, size int32) string {
	switch {
	case size < 1:
		return fmt.Sprintf("the operator ignores a size of %d", size)
	case t.Max > 0 && size > t.Max:
		return fmt.Sprintf("it is above the MiniCluster's maximum size %d, which the operator refuses", t.Max)
	}
	return "the operator has not reconciled it: is it running? its log says why"
}

// dryRunActions says what a real run would have done.
func dryRunActions(o *outcome) string {
	d := o.decision
	var acts []string
	if d != nil && d.Scale {
		acts = append(acts, fmt.Sprintf("would scale from %d to %d", o.target.Current, d.Desired))
	}
	if d != nil && len(d.Drain) > 0 {
		acts = append(acts, fmt.Sprintf("would drain ranks %s", rankString(d.Drain)))
	}
	if d != nil && len(d.Undrain) > 0 {
		acts = append(acts, fmt.Sprintf("would undrain ranks %s", rankString(d.Undrain)))
	}
	if len(acts) == 0 {
		return fmt.Sprintf("nothing to change (size %d)", o.target.Current)
	}
	return strings.Join(acts, "; ")
}

// scalingActive says whether the signals can drive a decision.
func scalingActive(o *outcome) metav1.Condition {
	const typ = v1alpha1.ConditionScalingActive
	f := o.flux
	failed := externalFailures(o.external)
	switch {
	case len(o.decision.Problems) > 0:
		return condition(typ, false, v1alpha1.ReasonInvalidPolicy,
			"the spec has errors (the parts concerned are skipped): %s", strings.Join(o.decision.Problems, "; "))
	case len(failed) > 0:
		// The other policies still decide: active while any of them recommends.
		return condition(typ, len(o.decision.Recommendations) > 0, v1alpha1.ReasonExternalScalerFailed,
			"%s", strings.Join(failed, "; "))
	case o.source == v1alpha1.SourceNone:
		return condition(typ, true, v1alpha1.ReasonSourceNone,
			"flux.source is None: only hints, schedules and pod metrics drive the size")
	case !f.fresh && f.lastGood.IsZero():
		return condition(typ, false, v1alpha1.ReasonFluxUnavailable,
			"no Flux state has been read yet: %v", f.err)
	case !f.fresh:
		return condition(typ, false, v1alpha1.ReasonFluxStale,
			"Flux state last read %s ago (%s); no shrink until it is read again: %v",
			o.now.Sub(f.lastGood).Round(time.Second), f.lastGood.UTC().Format(time.RFC3339), f.err)
	case !f.state.PerRank:
		return condition(typ, true, v1alpha1.ReasonPerRankUnknown,
			"the Flux source gives counts only: ranks cannot be drained, so Drain-mode shrinks wait")
	case o.pods.wanted && o.pods.err != nil:
		return condition(typ, true, v1alpha1.ReasonSignalsDegraded,
			"Flux state is fresh, but the pods' CPU use is unknown: %v", o.pods.err)
	}
	return condition(typ, true, v1alpha1.ReasonValidMetrics, "Flux state is fresh")
}

// scalingLimited names the decision step that held the size back.
func scalingLimited(o *outcome) metav1.Condition {
	const typ = v1alpha1.ConditionScalingLimited
	d := o.decision
	msg := d.Message
	if msg == "" {
		msg = fmt.Sprintf("the desired size %d is within range", d.Desired)
	}
	if d.Limit == v1alpha1.ReasonDesiredWithinRange || d.Limit == "" {
		return condition(typ, false, v1alpha1.ReasonDesiredWithinRange, "%s", msg)
	}
	if d.Limit == v1alpha1.ReasonHintExact {
		// An Exact hint sets the size; nothing held it back.
		return condition(typ, false, v1alpha1.ReasonHintExact, "%s", msg)
	}
	return condition(typ, true, d.Limit, "%s", msg)
}

// draining reports the drain the controller owns, if any.
func draining(o *outcome) metav1.Condition {
	const typ = v1alpha1.ConditionDraining
	d := o.decision
	if c, ok := passiveDraining(o); ok {
		return c
	}
	if o.dryRun {
		if len(d.Drain) > 0 {
			return condition(typ, false, v1alpha1.ReasonNotDraining, "dry run: would drain ranks %s", rankString(d.Drain))
		}
		return condition(typ, false, v1alpha1.ReasonNotDraining, "dry run: nothing drained")
	}
	live := o.liveOwned()
	switch {
	case o.drainErr != nil:
		return condition(typ, true, v1alpha1.ReasonDrainInProgress, "draining ranks %s failed, retrying: %v",
			rankString(live), o.drainErr)
	case d.DrainReason == v1alpha1.ReasonDrainInProgress && len(live) > 0:
		return condition(typ, true, v1alpha1.ReasonDrainInProgress,
			"draining ranks %s since %s: shrinking to %d once their jobs end", rankString(live),
			o.drainStart.UTC().Format(time.RFC3339), d.Desired)
	case len(o.released) > 0:
		return condition(typ, false, v1alpha1.ReasonDrainComplete, "ranks %s drained and removed", o.released)
	case d.DrainReason == v1alpha1.ReasonDrainTimedOut && o.backingOff:
		return condition(typ, false, v1alpha1.ReasonDrainTimedOut,
			"%d drain(s) in a row took longer than scaleDown.drainTimeoutSeconds: not draining again before %s; %s",
			o.drainTimeouts, o.drainRetry.UTC().Format(time.RFC3339), drainTimeoutAdvice)
	case d.DrainReason == v1alpha1.ReasonDrainTimedOut:
		next := ""
		if !o.drainRetry.IsZero() {
			next = fmt.Sprintf(", the next drain not before %s", o.drainRetry.UTC().Format(time.RFC3339))
		}
		return condition(typ, false, v1alpha1.ReasonDrainTimedOut,
			"the drain took longer than scaleDown.drainTimeoutSeconds: ranks %s given back%s; %s", o.undrained, next, drainTimeoutAdvice)
	case len(o.undrained) > 0:
		return condition(typ, false, v1alpha1.ReasonDrainCanceled, "ranks %s given back: the size needs them", o.undrained)
	}
	return condition(typ, false, v1alpha1.ReasonNotDraining, "no ranks draining")
}

// passiveDraining reports the ranks a dry run or flux.source None gave back, or could not.
func passiveDraining(o *outcome) (metav1.Condition, bool) {
	const typ = v1alpha1.ConditionDraining
	why := "flux.source None"
	if o.dryRun {
		why = "dry run"
	}
	switch {
	case o.releasedPassive:
		return condition(typ, false, v1alpha1.ReasonDrainReleased,
			"%s: gave back ranks %s, drained before; a passive policy owns no drain", why, o.undrained), true
	case o.stranded:
		return condition(typ, true, v1alpha1.ReasonDrainStranded,
			"%s: ranks %s stay drained, drained before through a source this controller no longer has; "+
				"undrain them in the lead broker with flux resource undrain -u %s, or set flux.source back", why, o.owned, o.owned), true
	case (o.dryRun || o.source == v1alpha1.SourceNone) && o.drainErr != nil:
		return condition(typ, true, v1alpha1.ReasonDrainInProgress,
			"%s: giving back ranks %s, drained before, failed; retrying: %v", why, o.owned, o.drainErr), true
	}
	return metav1.Condition{}, false
}

// fallbackActive reports whether the fallback action is in force.
func fallbackActive(o *outcome) metav1.Condition {
	const typ = v1alpha1.ConditionFallbackActive
	d := o.decision
	if o.source == v1alpha1.SourceNone {
		return condition(typ, false, v1alpha1.ReasonSourceNone, "flux.source is None: there is no Flux state to fall back from")
	}
	if !d.Fallback {
		return condition(typ, false, v1alpha1.ReasonFluxHealthy, "the fallback is not in force")
	}
	reason := d.FallbackReason
	if reason == "" {
		reason = v1alpha1.ReasonFallbackHold
	}
	action := "fallback.action Hold: the size is held"
	if reason == v1alpha1.ReasonFallbackSize {
		action = fmt.Sprintf("fallback.action Size: the size is set to %d", d.Desired)
	}
	since := "no Flux state has been read yet (none on record in status either)"
	if !o.flux.lastGood.IsZero() {
		since = "Flux state missing or stale since " + o.flux.lastGood.UTC().Format(time.RFC3339)
	}
	return condition(typ, true, reason, "%s; %s", since, action)
}
