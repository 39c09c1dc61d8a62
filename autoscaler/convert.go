package autoscaler

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

// Conversions between status (what survives a restart) and policy's input types. Times are
// whole seconds in status; policy already keeps history at that resolution, so a round trip
// changes nothing.

// historyFromStatus reads the stored history.
func historyFromStatus(h v1alpha1.ScalingHistory) policy.History {
	var out policy.History
	for _, r := range h.Recommendations {
		out.Recommendations = append(out.Recommendations, policy.TimedSize{Time: r.Time.Time, Size: r.Size})
	}
	for _, e := range h.ScaleEvents {
		out.ScaleEvents = append(out.ScaleEvents, policy.ScaleEvent{Time: e.Time.Time, From: e.From, To: e.To})
	}
	return out
}

// historyToStatus writes history for status.
func historyToStatus(h policy.History) v1alpha1.ScalingHistory {
	var out v1alpha1.ScalingHistory
	for _, r := range h.Recommendations {
		out.Recommendations = append(out.Recommendations, v1alpha1.TimedSize{Time: wholeSeconds(r.Time), Size: r.Size})
	}
	for _, e := range h.ScaleEvents {
		out.ScaleEvents = append(out.ScaleEvents, v1alpha1.ScaleEvent{Time: wholeSeconds(e.Time), From: e.From, To: e.To})
	}
	return out
}

// hintsFromStatus reads the hints status recorded, for seeding the hint store after a restart.
func hintsFromStatus(hs []v1alpha1.HintStatus) []policy.Hint {
	var out []policy.Hint
	for _, h := range hs {
		out = append(out, policy.Hint{
			ID: h.ID, Subject: h.Subject, Size: h.Size, Mode: h.Mode,
			Expires: h.ExpiresAt.Time, Reason: h.Reason,
		})
	}
	return out
}

// hintsToStatus keeps the hints unexpired at now, one per subject (a later hint of a subject
// replaces an earlier one, as in policy), in the order given.
func hintsToStatus(hs []policy.Hint, now time.Time) []v1alpha1.HintStatus {
	var out []v1alpha1.HintStatus
	for i, h := range hs {
		if !h.Expires.After(now) || replacedLater(hs, i) {
			continue
		}
		out = append(out, v1alpha1.HintStatus{
			ID: h.ID, Subject: h.Subject, Size: h.Size, Mode: h.Mode,
			ExpiresAt: wholeSeconds(h.Expires), Reason: h.Reason,
		})
	}
	return out
}

func replacedLater(hs []policy.Hint, i int) bool {
	for _, later := range hs[i+1:] {
		if later.Subject == hs[i].Subject {
			return true
		}
	}
	return false
}

// ownedRanks reads status.drainingRanks. A value the controller did not write (edited by
// hand) is an error naming it.
func ownedRanks(st *v1alpha1.ScalingPolicyStatus) (flux.RankSet, error) {
	return flux.ParseRankSet(st.DrainingRanks)
}

// removedFromStatus reads status.removedRanks; a value the controller did not write is
// logged and read as empty (removedRanks derives the set again from the owned ranks).
func removedFromStatus(ctx context.Context, st *v1alpha1.ScalingPolicyStatus) flux.RankSet {
	set, err := flux.ParseRankSet(st.RemovedRanks)
	if err != nil {
		log.FromContext(ctx).Error(err, "status.removedRanks is not an idset the controller wrote; ignoring it")
	}
	return set
}

// wholeSeconds is t at the resolution status stores.
func wholeSeconds(t time.Time) metav1.Time {
	return metav1.NewTime(t.Truncate(time.Second))
}

// timeOrZero is the time of a status field, zero when unset.
func timeOrZero(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}
