package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/harness"
)

// Bounds of the waits. They are generous on purpose: a 2-core machine running other builds
// must pass; none of them is a latency expectation.
const (
	// podsBound covers the Job controller creating pods and kwok marking them Running.
	podsBound = 2 * time.Minute
	// decideBound covers a trigger reaching a decision and the write being seen.
	decideBound = time.Minute
)

// shortScaleDown is a behavior whose scale-down window is windowSeconds, so idle capacity
// goes soon; everything else keeps the HPA defaults.
func shortScaleDown(windowSeconds int32) *v1alpha1.ScalingBehavior {
	return &v1alpha1.ScalingBehavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr.To(windowSeconds)}}
}

// submit queues n jobs of nnodes nodes each running for d of virtual time.
func submit(t *testing.T, sim *simulated.Cluster, firstID uint64, n int, nnodes int32, d time.Duration) {
	t.Helper()
	for i := range n {
		if err := sim.Submit(simulated.Job{ID: firstID + uint64(i), NNodes: nnodes, Runtime: d}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitSize waits until the target's size and its Running pods are both want, and the
// simulated Flux cluster has want ranks up.
func waitSize(t *testing.T, h *harness.Harness, fx *harness.Flux, ref v1alpha1.TargetRef, job string, want int32) {
	t.Helper()
	harness.Eventually(t, podsBound, fmt.Sprintf("%s %s at size %d with %d pods Running and Flux ranks up", ref.Kind, ref.Name, want, want),
		func(ctx context.Context) (bool, string) {
			size, err := h.TargetSize(ctx, ref)
			if err != nil {
				return false, err.Error()
			}
			pods, err := h.RunningPods(ctx, job)
			if err != nil {
				return false, err.Error()
			}
			ranks := fx.Sim.Size()
			return size == want && pods == want && ranks == want, fmt.Sprintf("size %d, %d pods Running, %d Flux ranks", size, pods, ranks)
		})
}

// conditionIs reports whether the policy's condition typ reads status/reason, and what it reads.
func conditionIs(ctx context.Context, h *harness.Harness, policy, typ, want string) (bool, string) {
	sp, err := h.Policy(ctx, policy)
	if err != nil {
		return false, err.Error()
	}
	c := meta.FindStatusCondition(sp.Status.Conditions, typ)
	if c == nil {
		return false, typ + " not set"
	}
	got := string(c.Status) + "/" + c.Reason
	return got == want, got + ": " + c.Message
}

// noneKilled fails t if a shrink killed a simulated Flux job.
func noneKilled(t *testing.T, sim *simulated.Cluster) {
	t.Helper()
	if st := sim.Stats(); st.Killed != 0 {
		t.Errorf("simulated Flux jobs killed by a shrink: %d, want 0 (stats %+v)", st.Killed, st)
	}
}

// waitEvents waits until the events recorded on the object count exactly want per reason.
// Events are recorded asynchronously (the recorder batches them), so they can trail the
// change they report by a moment: read them with bounded polling, not once.
func waitEvents(t *testing.T, h *harness.Harness, kind, name string, want map[string]int) {
	t.Helper()
	harness.Eventually(t, 30*time.Second, fmt.Sprintf("events on %s %s to be %v", kind, name, want),
		func(ctx context.Context) (bool, string) {
			counts, err := h.EventCounts(ctx, kind, name)
			if err != nil {
				return false, err.Error()
			}
			for reason, n := range want {
				if counts[reason] != n {
					return false, fmt.Sprintf("events %v", counts)
				}
			}
			return true, ""
		})
}
