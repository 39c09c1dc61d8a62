package autoscaler

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
)

// History goes through status as JSON on every reconcile; what policy reads back must be
// what it wrote, or stabilization windows would shift across reconciles and restarts.
func TestHistoryRoundTripsThroughStatusJSON(t *testing.T) {
	in := policy.History{
		Recommendations: []policy.TimedSize{{Time: t0, Size: 4}, {Time: t0.Add(90 * time.Second), Size: 6}},
		ScaleEvents:     []policy.ScaleEvent{{Time: t0.Add(time.Minute), From: 2, To: 6}},
	}
	raw, err := json.Marshal(historyToStatus(in))
	if err != nil {
		t.Fatal(err)
	}
	var back v1alpha1.ScalingHistory
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	got := historyFromStatus(back)
	if diff := cmp.Diff(in, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("history after a round trip (-want +got):\n%s", diff)
	}
}

func TestHintsToStatusKeepsUnexpiredLatestPerSubject(t *testing.T) {
	hs := []policy.Hint{
		{ID: "a1", Subject: "a", Size: 2, Expires: t0.Add(time.Hour)},
		{ID: "b1", Subject: "b", Size: 3, Expires: t0},
		{ID: "a2", Subject: "a", Size: 5, Expires: t0.Add(2*time.Hour + 500*time.Millisecond)},
	}
	var ids []string
	for _, h := range hintsToStatus(hs, t0) {
		ids = append(ids, h.ID)
		if h.ExpiresAt.Nanosecond() != 0 {
			t.Errorf("hint %s expiresAt %v is not whole seconds", h.ID, h.ExpiresAt)
		}
	}
	if diff := cmp.Diff([]string{"a2"}, ids); diff != "" {
		t.Errorf("hints kept (-want +got):\n%s", diff)
	}
}
