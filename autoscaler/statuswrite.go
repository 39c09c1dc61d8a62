package autoscaler

import (
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/policy"
)

// A policy at rest computes the same status on every pass except for two clocks: each
// signal's lastUpdate and the time of the newest recommendation in history; and the pass
// after a scale moves AbleToScale from SucceededRescale to ReadyForNewScale. Writing them
// every pass cost one status write per policy per poll (issue 17, step 4). They are written
// only when something else changes, and at least every statusHeartbeat; in between, this
// process keeps the status it computed in source.Memory and decides on it, so its windows
// are exact. A restarted controller has only what was written, and reads the newest
// recommendation as lasting until the heartbeat that would have followed it (restAfter).

// statusHeartbeat is the longest an unchanged status goes unwritten: a healthy signal's
// lastUpdate is at most this old, and a restarted controller keeps the newest recommendation
// of its windows at most this much longer than the stopped one would have.
const statusHeartbeat = 3 * time.Minute

// worthWriting reports whether st, the status this pass computed at now, holds something
// that written, the status the API server has, lacks: anything but lastUpdate or the newest
// recommendation's time moving on by less than statusHeartbeat, expired history, or
// AbleToScale moving on from a scale that succeeded.
func worthWriting(written, st *v1alpha1.ScalingPolicyStatus, now time.Time) bool {
	quiet := *st
	quiet.Signals = settledSignals(written.Signals, st.Signals)
	quiet.Conditions = settledConditions(written.Conditions, st.Conditions)
	if restingHistory(written.History, st.History, now) {
		quiet.History = written.History
	}
	return !equality.Semantic.DeepEqual(*written, quiet)
}

// settledSignals is cur with the lastUpdate written kept for each signal whose value, health
// and message are unchanged and whose lastUpdate is less than statusHeartbeat older.
func settledSignals(written, cur []v1alpha1.SignalStatus) []v1alpha1.SignalStatus {
	if cur == nil {
		return nil
	}
	out := make([]v1alpha1.SignalStatus, len(cur))
	for i, s := range cur {
		out[i] = s
		for _, w := range written {
			if w.Name != s.Name || w.Value != s.Value || w.Healthy != s.Healthy || w.Message != s.Message {
				continue
			}
			if w.LastUpdate != nil && s.LastUpdate != nil && within(w.LastUpdate.Time, s.LastUpdate.Time) {
				out[i].LastUpdate = w.LastUpdate
			}
		}
	}
	return out
}

// settledConditions is cur with AbleToScale as written when written says the last scale
// succeeded and cur only that the target is ready for the next: the size and lastScaleTime
// already say the scale is done, and that write was a third status write for every policy
// that scaled (on 2,000 converging at once, a third of the controller's writes to an API
// server they all wait on). The heartbeat, or any other change, writes it.
func settledConditions(written, cur []metav1.Condition) []metav1.Condition {
	w := meta.FindStatusCondition(written, v1alpha1.ConditionAbleToScale)
	c := meta.FindStatusCondition(cur, v1alpha1.ConditionAbleToScale)
	if w == nil || c == nil || w.Status != metav1.ConditionTrue || c.Status != metav1.ConditionTrue ||
		w.Reason != v1alpha1.ReasonSucceededRescale || c.Reason != v1alpha1.ReasonReadyForNewScale ||
		w.ObservedGeneration != c.ObservedGeneration {
		return cur
	}
	out := slices.Clone(cur)
	for i := range out {
		if out[i].Type == v1alpha1.ConditionAbleToScale {
			out[i] = *w
		}
	}
	return out
}

// restingHistory reports whether cur decides every window as written does, once written's
// newest recommendation is read as lasting until now (restAfter): the same scale events less
// ones that expired, the same recommendations less ones that expired (cur keeps a suffix of
// written), and a newest recommendation of the same size recorded less than statusHeartbeat
// after written's.
//
// A scale event policy dropped is one that left every rate-limit period, which policy, reading
// history, ignores anyway: its expiry was one more status write for every policy that scaled.
// The event a pass recorded ahead and took back, its size write having failed, is this pass's
// (at now), not an expired one: left on the server, it would make the rate limits count a
// scale that never happened, so it is always written.
func restingHistory(written, cur v1alpha1.ScalingHistory, now time.Time) bool {
	we, ce := written.ScaleEvents, cur.ScaleEvents
	if !isSuffix(ce, we) {
		return false
	}
	for _, e := range we[:len(we)-len(ce)] {
		if !e.Time.Time.Before(now.Truncate(time.Second)) {
			return false
		}
	}
	wr, cr := written.Recommendations, cur.Recommendations
	if len(wr) == 0 || len(cr) == 0 {
		return len(wr) == len(cr)
	}
	wn, cn := wr[len(wr)-1], cr[len(cr)-1]
	if wn.Size != cn.Size || cn.Time.Before(&wn.Time) || !within(wn.Time.Time, cn.Time.Time) {
		return false
	}
	return isSuffix(cr[:len(cr)-1], wr[:len(wr)-1])
}

// within reports whether later is less than statusHeartbeat after earlier.
func within(earlier, later time.Time) bool { return later.Sub(earlier) < statusHeartbeat }

// isSuffix reports whether s is a suffix of of: what remains of it once its oldest entries
// expired. Policy drops recommendations only from the old end while the newest keeps its
// size (a new size is a write anyway).
func isSuffix[T any](s, of []T) bool {
	return len(s) <= len(of) && equality.Semantic.DeepEqual(s, of[len(of)-len(s):]) // nil and empty alike
}

// restAfter is the history a controller without the status it last computed (a restart)
// decides on: written's, its newest recommendation moved to the latest time it may have been
// recommended, the heartbeat that would have followed it, or now if sooner. Reading it at
// its written time could let a window end up to a heartbeat early and shrink too soon.
func restAfter(h policy.History, now time.Time) policy.History {
	n := len(h.Recommendations)
	if n == 0 {
		return h
	}
	// Times are whole seconds, and a pass writes once the newest recommendation is a
	// heartbeat old: the last pass that did not write was at most a heartbeat less a second
	// after the one that did.
	until := h.Recommendations[n-1].Time.Add(statusHeartbeat - time.Second)
	if now := now.Truncate(time.Second); now.Before(until) {
		until = now
	}
	if !until.After(h.Recommendations[n-1].Time) {
		return h // a clock that went backwards moves nothing back
	}
	recs := append([]policy.TimedSize(nil), h.Recommendations...)
	recs[n-1].Time = until
	h.Recommendations = recs
	return h
}

// restore puts back the status this process last computed for the policy, when the API
// server still holds what it then wrote: it differs only in clocks not worth a write. It
// reports whether it did; after a restart, or when anyone else wrote the status, it does not.
func restore(m *source.Memory, key types.NamespacedName, sp *v1alpha1.ScalingPolicy) bool {
	k, ok := m.KeptStatus(key)
	if !ok || k.UID != sp.UID || !equality.Semantic.DeepEqual(k.Written, sp.Status) {
		return false
	}
	sp.Status = *k.Computed.DeepCopy()
	return true
}
