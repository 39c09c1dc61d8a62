package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/harness"
)

// slowPoll is the poll interval of the queue tests: far longer than any wait below, so a
// scale-up seen within those waits can only come from a trigger (the agent's long-poll
// returning on a queue change), never from the periodic poll.
const slowPoll = 300

// A bare elastic Indexed Job follows its Flux queue (simulated, served through the real
// agent API; no operator is involved). The MiniCluster's queue test runs the real operator:
// TestQueueDrivenOnTheRealOperator.
func TestQueueDrivenIndexedJob(t *testing.T) {
	h := harness.StartForTest(t, harness.Options{})
	fx := h.StartFluxForTest(t, "work", harness.FluxOptions{Job: "work", MaxSize: 8})
	ref, err := h.CreateIndexedJob(t.Context(), "work", 1)
	if err != nil {
		t.Fatal(err)
	}
	queueScenario(t, h, fx, ref, "work")
}

// queueScenario: four one-node jobs queue up on a 1-node target; the controller grows it to
// 4 in answer to the queue change alone (the poll is 300 s away; 1 -> 4 is within the
// default scale-up rate of +4 per 15 s), pods run, Flux ranks come up and the jobs start.
// When they have all ended the idle ranks are drained and removed after the 3 s scale-down
// window, back to minSize 1, and no job is killed.
func queueScenario(t *testing.T, h *harness.Harness, fx *harness.Flux, ref v1alpha1.TargetRef, job string) {
	ctx := t.Context()
	const policy = "queue"
	sp := builders.MakeScalingPolicy(policy, h.Namespace).Target(ref.APIVersion, ref.Kind, ref.Name).MinSize(1).MaxSize(8).
		Flux(fx.Source()).QueueDepth(0).PollInterval(slowPoll).Behavior(shortScaleDown(3)).Obj()
	if err := h.Client.Create(ctx, sp); err != nil {
		t.Fatal(err)
	}
	waitSize(t, h, fx, ref, job, 1)
	harness.Eventually(t, decideBound, "the first decision", func(ctx context.Context) (bool, string) {
		return conditionIs(ctx, h, policy, v1alpha1.ConditionScalingActive, "True/ValidMetricFound")
	})

	queued := time.Now()
	submit(t, fx.Sim, 1, 4, 1, time.Hour)
	waitSize(t, h, fx, ref, job, 4)
	if waited := time.Since(queued); waited >= slowPoll*time.Second {
		t.Fatalf("the growth took %s, not less than the %d s poll interval: it proves nothing about triggers", waited, slowPoll)
	}
	t.Logf("MEASURED %s: queue change -> 4 pods Running and Flux ranks up: %s", ref.Kind, time.Since(queued).Round(time.Millisecond))
	// Observed only when the reconcile that scaled was the one the Flux change queued (a
	// reconcile already running may read the new queue first): evidence, not a requirement.
	if n, sum, err := h.Controller.Metric("fluxscale_trigger_to_scale_seconds",
		map[string]string{"policy": policy, "trigger": controllermetrics.TriggerFluxState}); err == nil && n > 0 {
		t.Logf("MEASURED %s: flux-state trigger -> size written: %d scale(s), mean %.1f ms", ref.Kind, n, 1000*sum/float64(n))
	}
	harness.Eventually(t, decideBound, "all four jobs running", func(context.Context) (bool, string) {
		st, err := fx.Sim.State(context.Background())
		return err == nil && st.Counts.Run == 4, fmt.Sprintf("counts %+v (%v)", st.Counts, err)
	})

	// The jobs end together; the cluster is idle. The poll stays at 300 s: the shrink after
	// the 3 s window can only come from the controller rechecking when the window lets go
	// (Decision.RecheckAt).
	idle := time.Now()
	h.Clock.Jump(time.Hour)
	waitSize(t, h, fx, ref, job, 1)
	t.Logf("MEASURED %s: idle -> 1 pod (3 s window, drain, shrink): %s", ref.Kind, time.Since(idle).Round(time.Millisecond))
	noneKilled(t, fx.Sim)
	if st := fx.Sim.Stats(); st.Finished != 4 {
		t.Errorf("finished jobs %d, want 4", st.Finished)
	}
	waitEvents(t, h, "ScalingPolicy", policy,
		map[string]int{v1alpha1.EventSuccessfulRescale: 2, v1alpha1.EventDrainStarted: 1, v1alpha1.EventDrainCompleted: 1})
}
