package controller_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// Deleting a policy mid-drain gives its drained ranks back to Flux, through its finalizer,
// before the API server lets the policy go (issue 19, item 1).
func TestDeletedPolicyGivesBackItsDrainedRanks(t *testing.T) {
	e := startEnv(t)
	sim := ctrltest.NewSim(t, 4)
	createIndexedJob(t, e, "work", 4)
	startMirror(t, e, sim, "work")
	ctrltest.Eventually(t, time.Minute, "4 Flux ranks up (pods Running)", func(context.Context) (bool, string) {
		return sim.Size() == 4, fmt.Sprintf("size %d", sim.Size())
	})
	// Three short jobs on ranks 0-2, a long one on rank 3: ranks 1-3 drain and stay so.
	ctrltest.Submit(t, sim, 1, 3, 2*time.Second)
	ctrltest.Submit(t, sim, 4, 1, time.Hour)
	startController(t, e, simSources{"work-policy": sim})
	sp := jobPolicy("work-policy", "work", 1, 4)
	if err := e.Client.Create(t.Context(), sp); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, 30*time.Second, "ranks 1-3 drained by the policy", func(ctx context.Context) (bool, string) {
		st, err := policyStatus(ctx, e, "work-policy")
		if err != nil {
			return false, err.Error()
		}
		return st.DrainingRanks == "1-3" && len(drained(ctx, sim)) == 3, fmt.Sprintf("drainingRanks %q, Flux drained %v", st.DrainingRanks, drained(ctx, sim))
	})
	if err := e.Client.Delete(t.Context(), sp); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, 30*time.Second, "the policy gone and no rank drained", func(ctx context.Context) (bool, string) {
		_, err := policyStatus(ctx, e, "work-policy")
		return apierrors.IsNotFound(err) && len(drained(ctx, sim)) == 0, fmt.Sprintf("policy read: %v; Flux drained %v", err, drained(ctx, sim))
	})
	ctrltest.Eventually(t, 30*time.Second, "a RanksReleased event", func(ctx context.Context) (bool, string) {
		evs, err := policyEvents(ctx, e, "work-policy")
		if err != nil {
			return false, err.Error()
		}
		return slices.ContainsFunc(evs, func(ev eventsv1.Event) bool { return ev.Reason == v1alpha1.EventRanksReleased }), describe(evs)
	})
	if st := sim.Stats(); st.Killed != 0 {
		t.Errorf("%d simulated jobs killed", st.Killed)
	}
}

// drained lists the ranks the simulated Flux has drained or draining.
func drained(ctx context.Context, sim *simulated.Cluster) []int32 {
	st, err := sim.State(ctx)
	if err != nil {
		return nil
	}
	var out []int32
	for _, r := range st.Ranks {
		if r.Drain != "" {
			out = append(out, r.Rank)
		}
	}
	return out
}
