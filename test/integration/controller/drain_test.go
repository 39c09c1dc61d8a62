package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// A busy top rank is drained, not removed, until its job ends; the controller is stopped
// in the middle of the drain and a new one (nothing in memory, only status) finishes the
// shrink. No simulated Flux job is killed.
func TestDrainSurvivesControllerRestart(t *testing.T) {
	e := startEnv(t)
	sim := ctrltest.NewSim(t, 4)
	createIndexedJob(t, e, "work", 4)
	startMirror(t, e, sim, "work")
	ctrltest.Eventually(t, time.Minute, "4 Flux ranks up (pods Running)", func(context.Context) (bool, string) {
		return sim.Size() == 4, fmt.Sprintf("size %d", sim.Size())
	})
	// FCFS on the lowest free ranks: three short jobs on ranks 0-2, a long one on rank 3.
	ctrltest.Submit(t, sim, 1, 3, 3*time.Second)
	ctrltest.Submit(t, sim, 4, 1, 40*time.Second)
	long := time.Now()
	first := startController(t, e, simSources{"work-policy": sim})
	if err := e.Client.Create(t.Context(), jobPolicy("work-policy", "work", 1, 4)); err != nil {
		t.Fatal(err)
	}

	ctrltest.Eventually(t, 30*time.Second, "ranks 1-3 draining, rank 3 still busy", func(ctx context.Context) (bool, string) {
		st, err := policyStatus(ctx, e, "work-policy")
		if err != nil {
			return false, err.Error()
		}
		ok, msg := conditionIs(ctx, e, "work-policy", v1alpha1.ConditionDraining, "True/DrainInProgress")
		return ok && st.DrainingRanks == "1-3", fmt.Sprintf("drainingRanks %q; %s", st.DrainingRanks, msg)
	})
	if p, msg := jobParallelism(t.Context(), e, "work"); p != 4 {
		t.Fatalf("while rank 3 runs a job: parallelism %d %s, want 4 (drained, not removed)", p, msg)
	}

	// Restart mid-drain.
	first.Stop(t)
	stopped := time.Now()
	second := startController(t, e, simSources{"work-policy": sim})
	if time.Since(long) > 35*time.Second {
		t.Fatalf("the restart came %s after the long job started: too late to be mid-drain", time.Since(long))
	}
	ctrltest.Eventually(t, 30*time.Second, "the new controller to decide", func(context.Context) (bool, string) {
		n := second.Counter(t, "fluxscale_decisions_total", "work-policy")
		return n >= 1, fmt.Sprintf("%d decisions", n)
	})
	if p, _ := jobParallelism(t.Context(), e, "work"); p != 4 && sim.Stats().Finished < 4 {
		t.Fatalf("the restarted controller shrank to %d while rank 3 was busy", p)
	}

	ctrltest.Eventually(t, time.Minute, "the shrink to 1 once the long job ends", func(ctx context.Context) (bool, string) {
		p, msg := jobParallelism(ctx, e, "work")
		return p == 1, fmt.Sprintf("parallelism %d %s; sim %+v", p, msg, sim.Stats())
	})
	shrunk := time.Now()
	for _, r := range sim.Records() {
		if r.ID == 4 {
			t.Logf("MEASURED long job end -> Job parallelism 1 seen, by the controller started %s after the first stopped: %s",
				second.Started().Sub(stopped).Round(time.Millisecond), shrunk.Sub(r.End).Round(time.Millisecond))
		}
	}
	st := sim.Stats()
	if st.Killed != 0 || st.Finished != 4 {
		t.Errorf("simulated jobs: %d killed (want 0), %d finished (want 4)", st.Killed, st.Finished)
	}
	// DrainComplete until the next decision, then NotDraining. The status write follows the
	// Job write, so the condition may trail the parallelism seen above by a moment.
	ctrltest.Eventually(t, 30*time.Second, "Draining False/DrainComplete or False/NotDraining after the shrink",
		func(ctx context.Context) (bool, string) {
			ok, msg := conditionIs(ctx, e, "work-policy", v1alpha1.ConditionDraining, "False/DrainComplete")
			return ok || strings.HasPrefix(msg, "False/NotDraining"), msg
		})
	// Events are recorded asynchronously and may trail the shrink by a moment. Events are
	// best effort: a DrainStarted the first controller recorded just before it was stopped
	// can be lost with its event broadcaster, so it counts at most once; the restarted
	// controller must never record it again.
	ctrltest.Eventually(t, 30*time.Second, "events DrainStarted at most 1 (not repeated after the restart), DrainCompleted 1, SuccessfulRescale 1",
		func(ctx context.Context) (bool, string) {
			evs, err := policyEvents(ctx, e, "work-policy")
			if err != nil {
				return false, err.Error()
			}
			counts := eventCounts(evs)
			return counts[v1alpha1.EventDrainStarted] <= 1 && counts[v1alpha1.EventDrainCompleted] == 1 &&
				counts[v1alpha1.EventSuccessfulRescale] == 1, fmt.Sprint(counts)
		})
}
