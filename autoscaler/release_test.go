package autoscaler

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// updateSpec changes the policy's spec as a user would, bumping its generation.
func (h *harness) updateSpec(change func(*v1alpha1.ScalingPolicySpec)) {
	h.t.Helper()
	var sp v1alpha1.ScalingPolicy
	if err := h.client.Get(context.Background(), h.key, &sp); err != nil {
		h.t.Fatal(err)
	}
	change(&sp.Spec)
	sp.Generation++
	if err := h.client.Update(context.Background(), &sp); err != nil {
		h.t.Fatal(err)
	}
}

// A policy going passive mid-drain gives back the ranks it drained: passive, it would
// never undrain them, and Flux would keep them out of use for good.
func TestGoingPassiveMidDrainGivesBackOwnedRanks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*v1alpha1.ScalingPolicySpec)
		reason string
	}{
		{name: "dry run", change: func(s *v1alpha1.ScalingPolicySpec) { s.DryRun = true }},
		{name: "flux.source None", change: func(s *v1alpha1.ScalingPolicySpec) { s.Flux.Source = v1alpha1.SourceNone }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, sim := drainingHarness(t, makeScalingPolicy("p", ns).Target(jobRef("work")).Obj())
			h.updateSpec(tc.change)
			h.step(time.Second)
			if got := drainedRanks(t, sim); len(got) != 0 {
				t.Errorf("ranks %v still drained after the policy went passive", got)
			}
			if got := h.status().DrainingRanks; got != "" {
				t.Errorf("drainingRanks %q, want none", got)
			}
			if got := h.condition(v1alpha1.ConditionDraining); got != "False/DrainReleased" {
				t.Errorf("Draining %q, want False/DrainReleased", got)
			}
			if diff := cmp.Diff([]string{"Normal DrainCanceled"}, h.events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if got := h.jobSize(); got != 6 {
				t.Errorf("Job size %d, want 6: a passive policy does not scale", got)
			}
		})
	}
}

// Switched to flux.source None by a controller that never had the old source (a restart),
// the ranks cannot be given back: they stay owned and the condition says how to undrain them.
func TestSourceNoneAfterARestartReportsStrandedRanks(t *testing.T) {
	h, sim := drainingHarness(t, makeScalingPolicy("p", ns).Target(jobRef("work")).Obj())
	h.updateSpec(func(s *v1alpha1.ScalingPolicySpec) { s.Flux.Source = v1alpha1.SourceNone })
	h.restart()
	h.step(time.Second)
	if got := h.status().DrainingRanks; got != "1-5" {
		t.Errorf("drainingRanks %q, want 1-5 kept", got)
	}
	if got := h.condition(v1alpha1.ConditionDraining); got != "True/DrainStranded" {
		t.Errorf("Draining %q, want True/DrainStranded", got)
	}
	if got := drainedRanks(t, sim); len(got) != 5 {
		t.Errorf("drained ranks %v, want 1-5 left as they were", got)
	}
}
