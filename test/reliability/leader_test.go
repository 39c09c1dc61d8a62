package reliability

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// Two controllers run with leader election on a short lease; only the leader decides. The
// leader dies in the middle of the work (its lease is not released, as after a crash); the
// other takes over and finishes. The Job's sizes, watched, are [1 3 1], with exactly one
// SuccessfulRescale event per change, and the standby made no decision before it led: no
// duplicate scale. No simulated job is killed.
func TestLeaderLossNoDuplicateScale(t *testing.T) {
	e := startEnv(t)
	ns := e.namespace(t, "leader")
	srcs := newSources()
	sim := ctrltest.NewSim(t, 4)
	srcs.add("p", sim)
	createIndexedJob(t, e, ns, "work", 1)
	startMirror(t, e, sim, ns, "work")
	sizes := recordSizes(t, e, ns, "work", func() bool { return false })
	opts := controllerOptions{namespace: ns, leaderElection: "fluxscale-reliability"}
	ctrls := []*runningController{startController(t, e, srcs, opts), startController(t, e, srcs, opts)}
	var leader, standby *runningController
	ctrltest.Eventually(t, 30*time.Second, "a leader", func(context.Context) (bool, string) {
		for i, c := range ctrls {
			if c.IsLeader() {
				leader, standby = c, ctrls[1-i]
				return true, ""
			}
		}
		return false, "no leader"
	})
	if standby.IsLeader() {
		t.Fatal("both controllers lead")
	}
	if err := e.Client.Create(t.Context(), jobPolicy(ns, "p", "work", 4)); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, time.Minute, "1 Flux rank up", func(context.Context) (bool, string) {
		return sim.Size() == 1, fmt.Sprintf("size %d", sim.Size())
	})
	ctrltest.Submit(t, sim, 1, 3, 8*time.Second)
	ctrltest.Eventually(t, 30*time.Second, "growth to 3 by the leader", func(ctx context.Context) (bool, string) {
		n, msg := jobParallelism(ctx, e, ns, "work")
		return n == 3 && sim.Stats().Started == 3, fmt.Sprintf("parallelism %d %s; sim %+v", n, msg, sim.Stats())
	})

	leader.Stop(t)
	killed := time.Now()
	if n := standby.Counter(t, "fluxscale_decisions_total", "p"); n != 0 {
		t.Errorf("the standby made %d decisions while not leading", n)
	}
	ctrltest.Eventually(t, 30*time.Second, "the standby to take over", func(context.Context) (bool, string) {
		return standby.IsLeader(), "not leading yet"
	})
	t.Logf("MEASURED leader killed -> standby leads: %s (lease 4 s)", time.Since(killed).Round(time.Millisecond))
	ctrltest.Eventually(t, 40*time.Second, "every job done and the shrink to 1 by the new leader", func(ctx context.Context) (bool, string) {
		n, msg := jobParallelism(ctx, e, ns, "work")
		ok, cmsg := conditionIs(ctx, e, ns, "p", v1alpha1.ConditionDraining, "False/"+v1alpha1.ReasonDrainComplete)
		return n == 1 && ok && sim.Stats().Finished == 3, fmt.Sprintf("parallelism %d %s; %s; sim %+v", n, msg, cmsg, sim.Stats())
	})
	ctrltest.Eventually(t, 20*time.Second, "two SuccessfulRescale events", func(ctx context.Context) (bool, string) {
		counts, err := eventCounts(ctx, e, ns, "p")
		return err == nil && counts[v1alpha1.EventSuccessfulRescale] >= 2, fmt.Sprintf("%v %v", counts, err)
	})
	decisions := standby.Counter(t, "fluxscale_decisions_total", "p")
	ctrltest.Eventually(t, 20*time.Second, "three more decisions", func(context.Context) (bool, string) {
		n := standby.Counter(t, "fluxscale_decisions_total", "p")
		return n >= decisions+3, fmt.Sprintf("%d decisions", n)
	})
	counts, err := eventCounts(t.Context(), e, ns, "p")
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[v1alpha1.EventSuccessfulRescale]; got != 2 {
		t.Errorf("SuccessfulRescale events %d (all %v), want 2: one per size change", got, counts)
	}
	if got := fmt.Sprint(sizes.sizes()); got != "[1 3 1]" {
		t.Errorf("sizes the Job had: %s, want [1 3 1]", got)
	}
	if k := sim.Stats().Killed; k != 0 {
		t.Errorf("%d simulated jobs killed, want 0", k)
	}
}
