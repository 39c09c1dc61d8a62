package autoscaler

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
)

// eventRecord is one Kubernetes Event to record on the ScalingPolicy.
type eventRecord struct {
	Type   string // corev1.EventTypeNormal or EventTypeWarning
	Reason string // a v1alpha1.Event* constant
	Action string // what the controller did or tried (events.k8s.io requires one)
	Note   string
}

// Event actions.
const (
	actionScale   = "Scale"
	actionDrain   = "Drain"
	actionUndrain = "Undrain"
	actionResolve = "ResolveTarget"
	actionRead    = "ReadFluxState"
	actionHint    = "AcceptHint"
	// actionReadExternal is reading an External policy's scaler.
	actionReadExternal = "ReadExternalScaler"
)

// transitionEvents are the events of one reconcile: the actions it took, then what changed
// between old and st.
func transitionEvents(old, st *v1alpha1.ScalingPolicyStatus, o *outcome) []eventRecord {
	return append(actionEvents(o), statusEvents(old, st, o.now)...)
}

// statusEvents are the events for conditions entering a failure and hints newly on record.
// A condition that stays failed adds nothing, so a problem polled every interval is reported
// once.
func statusEvents(old, st *v1alpha1.ScalingPolicyStatus, now time.Time) []eventRecord {
	var out []eventRecord
	if reason, note, ok := entered(old, st, v1alpha1.ConditionAbleToScale); ok {
		switch reason {
		case v1alpha1.ReasonFailedUpdateScale, v1alpha1.ReasonNotApplied:
			out = append(out, eventRecord{corev1.EventTypeWarning, v1alpha1.EventFailedRescale, actionScale, note})
		case v1alpha1.ReasonTargetNotFound, v1alpha1.ReasonTargetKindUnknown, v1alpha1.ReasonTargetOwned,
			v1alpha1.ReasonTargetNotIndexed, v1alpha1.ReasonFailedGetScale:
			out = append(out, eventRecord{corev1.EventTypeWarning, v1alpha1.EventTargetProblem, actionResolve, note})
		case v1alpha1.ReasonAmbiguousTarget:
			out = append(out, eventRecord{corev1.EventTypeWarning, v1alpha1.ReasonAmbiguousTarget, actionResolve, note})
		}
	}
	if reason, note, ok := entered(old, st, v1alpha1.ConditionScalingActive); ok &&
		(reason == v1alpha1.ReasonFluxUnavailable || reason == v1alpha1.ReasonFluxStale) {
		out = append(out, eventRecord{corev1.EventTypeWarning, v1alpha1.EventFluxUnavailable, actionRead, note})
	}
	if reason, note, ok := entered(old, st, v1alpha1.ConditionScalingActive); ok && reason == v1alpha1.ReasonExternalScalerFailed {
		out = append(out, eventRecord{corev1.EventTypeWarning, v1alpha1.EventExternalScalerFailed, actionReadExternal, note})
	}
	for _, h := range st.ActiveHints {
		if !slices.ContainsFunc(old.ActiveHints, func(o v1alpha1.HintStatus) bool { return o.ID == h.ID }) {
			out = append(out, eventRecord{corev1.EventTypeNormal, v1alpha1.EventHintAccepted, actionHint,
				fmt.Sprintf("Hint %s from %s: size %d (%s) until %s", h.ID, h.Subject, h.Size, h.Mode,
					h.ExpiresAt.UTC().Format(time.RFC3339))})
		}
	}
	return append(out, hintsGone(old, st, now)...)
}

// hintsGone are the events for hints that left the record: expired, or deleted (or replaced)
// before their expiry.
func hintsGone(old, st *v1alpha1.ScalingPolicyStatus, now time.Time) []eventRecord {
	var out []eventRecord
	for _, h := range old.ActiveHints {
		if slices.ContainsFunc(st.ActiveHints, func(n v1alpha1.HintStatus) bool { return n.ID == h.ID }) {
			continue
		}
		if !h.ExpiresAt.After(now) {
			out = append(out, eventRecord{corev1.EventTypeNormal, v1alpha1.EventHintExpired, actionHint,
				fmt.Sprintf("Hint %s from %s (size %d, %s) expired at %s", h.ID, h.Subject, h.Size, h.Mode,
					h.ExpiresAt.UTC().Format(time.RFC3339))})
			continue
		}
		out = append(out, eventRecord{corev1.EventTypeNormal, v1alpha1.EventHintRemoved, actionHint,
			fmt.Sprintf("Hint %s from %s (size %d, %s) was deleted or replaced before it expired", h.ID, h.Subject, h.Size, h.Mode)})
	}
	return out
}

// actionEvents are the events for what the reconcile did to Flux and the target; they are
// recorded even when the status write that follows fails, because the actions happened.
func actionEvents(o *outcome) []eventRecord {
	var out []eventRecord
	if len(o.drained) > 0 {
		note := fmt.Sprintf("Draining ranks %s before shrinking to %d; running jobs are left to finish", o.drained, o.decision.Desired)
		if o.target != nil && o.decision.Desired >= o.target.Current {
			// An early drain: the size holds (a window), but the recommendations no longer
			// need these ranks, so no new work lands on ranks about to be given back.
			note = fmt.Sprintf("Draining ranks %s ahead of a shrink: the recommendations no longer need them, the size holds at %d for now; running jobs are left to finish",
				o.drained, o.decision.Desired)
		}
		out = append(out, eventRecord{corev1.EventTypeNormal, v1alpha1.EventDrainStarted, actionDrain, note})
	}
	switch {
	case o.releasedPassive:
		out = append(out, eventRecord{corev1.EventTypeNormal, v1alpha1.EventDrainCanceled, actionUndrain,
			fmt.Sprintf("Gave ranks %s back to the scheduler: a dry run or flux.source None owns no drain", o.undrained)})
	case len(o.undrained) > 0:
		out = append(out, eventRecord{corev1.EventTypeNormal, v1alpha1.EventDrainCanceled, actionUndrain,
			fmt.Sprintf("Gave ranks %s back to the scheduler (%s)", o.undrained, o.decision.DrainReason)})
	}
	if o.scaled {
		out = append(out, eventRecord{corev1.EventTypeNormal, v1alpha1.EventSuccessfulRescale, actionScale,
			fmt.Sprintf("New size: %d; reason: %s", o.scaledTo, scaleReason(o))})
	}
	if len(o.released) > 0 {
		out = append(out, eventRecord{corev1.EventTypeNormal, v1alpha1.EventDrainCompleted, actionScale,
			fmt.Sprintf("Ranks %s drained and removed; new size %d", o.released, o.scaledTo)})
	}
	return out
}

// entered reports the reason and message of condition typ in st when its reason differs from
// the one in old (or old had none).
func entered(old, st *v1alpha1.ScalingPolicyStatus, typ string) (reason, note string, ok bool) {
	c := meta.FindStatusCondition(st.Conditions, typ)
	if c == nil {
		return "", "", false
	}
	if prev := meta.FindStatusCondition(old.Conditions, typ); prev != nil && prev.Reason == c.Reason {
		return "", "", false
	}
	return c.Reason, c.Message, true
}

// scaleReason explains a size written: the decision, or the restore of a refused size.
func scaleReason(o *outcome) string {
	if o.restored {
		return fmt.Sprintf("the operator refused spec.size %d; restored the size its Job runs", o.scaledFrom)
	}
	return decisionReason(o.decision)
}

// decisionReason explains a decision in one line: each recommendation, then the step that
// limited the size, if any.
func decisionReason(d *policy.Decision) string {
	var parts []string
	for _, r := range d.Recommendations {
		parts = append(parts, fmt.Sprintf("%s recommended %d (%s)", r.Policy, r.Size, r.Reason))
	}
	if d.Limit != "" && d.Limit != v1alpha1.ReasonDesiredWithinRange {
		parts = append(parts, fmt.Sprintf("limited by %s: %s", d.Limit, d.Message))
	}
	if len(parts) == 0 {
		return d.Message
	}
	return strings.Join(parts, "; ")
}
