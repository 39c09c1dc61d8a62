package replay

import (
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/policy"
)

// A hint's size stays through the scale-down window after the hint expires, as in the
// control loop (the window remembers the hinted size), and only then goes.
func TestExpiredHintStepsDownThroughTheWindow(t *testing.T) {
	// One small job keeps the replay going for an hour.
	cfg := Config{
		Cluster: simulated.Options{MaxSize: 16, NodeUpDelay: time.Minute},
		Jobs:    []simulated.Job{{ID: 1, Submit: epoch, NNodes: 1, Runtime: time.Hour}},
	}
	s := NewPolicyScaler("hinted", v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 16})
	expires := epoch.Add(10 * time.Minute)
	s.Post(policy.Hint{ID: "h", Subject: "app", Size: 8, Mode: v1alpha1.HintFloor, Expires: expires})
	r := mustRun(t, cfg, s)
	// HPA's default scale-down window counts from the last decision that saw the hint,
	// a poll (10 s) before it expired: policy records the hinted size at each decision.
	window := 300*time.Second - 10*time.Second
	for _, c := range []struct {
		at   time.Time
		want int32
	}{
		{epoch.Add(time.Minute), 8},
		{expires.Add(-time.Second), 8},
		{expires.Add(window - time.Second), 8},
		{expires.Add(window + 10*time.Second), 1},
	} {
		if got := sizeAt(r.Series, c.at); got != c.want {
			t.Errorf("size at %s: %d, want %d", c.at.Sub(epoch), got, c.want)
		}
	}
}
