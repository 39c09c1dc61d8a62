package autoscaler

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
)

// A hint leaving the record tells the policy's owner why: it expired, or it was deleted.
func TestHintsLeavingTheRecordAreAnnounced(t *testing.T) {
	old := &v1alpha1.ScalingPolicyStatus{ActiveHints: []v1alpha1.HintStatus{
		{ID: "h1", Subject: "system:serviceaccount:team:a", Size: 8, Mode: v1alpha1.HintFloor, ExpiresAt: metav1.NewTime(t0)},
		{ID: "h2", Subject: "system:serviceaccount:team:b", Size: 4, Mode: v1alpha1.HintExact, ExpiresAt: metav1.NewTime(t0.Add(time.Hour))},
	}}
	o := outcome{now: t0, target: indexedJob(2), flux: fluxReading{state: freshState(0), fresh: true, lastGood: t0}, decision: withinRange(2)}
	st := newStatus(old, &o)
	got := eventSummary(transitionEvents(old, &st, &o))
	if diff := cmp.Diff([]string{"Normal/HintExpired", "Normal/HintRemoved"}, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// An Exact hint sets the size: ScalingLimited says so without claiming a limit.
func TestExactHintIsNotALimit(t *testing.T) {
	d := withinRange(4)
	d.Limit, d.Message = v1alpha1.ReasonHintExact, "an Exact hint sets the size to 4"
	o := outcome{now: t0, target: indexedJob(4), flux: fluxReading{state: freshState(0), fresh: true, lastGood: t0}, decision: d,
		hints: []policy.Hint{{ID: "h", Subject: "s", Size: 4, Mode: v1alpha1.HintExact, Expires: t0.Add(time.Hour)}}}
	st := newStatus(&v1alpha1.ScalingPolicyStatus{}, &o)
	if got := condSummary(&st)[v1alpha1.ConditionScalingLimited]; got != "False/HintExact" {
		t.Errorf("ScalingLimited %q, want False/HintExact", got)
	}
}
