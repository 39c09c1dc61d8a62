package reliability

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/ctrltest"
	"github.com/fluxscale/fluxscale/test/faults"
)

// killPoint says when, in a drain-shrink-undrain cycle, the controller is killed: the first
// moment its condition holds. Conditions read what a step leaves behind (status, the
// simulated Flux, the Job), so the kill lands right after that step.
type killPoint struct {
	name string
	// after reports whether the step has happened.
	after func(ctx context.Context, c *cycle) bool
	// drainFails, when set, makes Flux drains fail until the kill, so the first
	// controller records ranks as draining in status without Flux draining them.
	drainFails bool
}

// cycle is one run of the drain-shrink-undrain cycle in its own namespace.
type cycle struct {
	e      *env
	ns     string
	sim    *simulated.Cluster
	fc     *faults.Client
	srcs   *sources
	ctrl   *runningController
	killed bool
	// atKill describes what the step had left behind when the controller was killed.
	atKill string
}

// A controller killed right after each step of a drain-shrink-undrain cycle (ranks recorded
// as draining in status but not yet drained in Flux, ranks drained in Flux, the Job shrunk, ranks undrained for a
// growth) is replaced by a new one that knows only what status says; every run ends in the
// state of an uninterrupted run: the Job back at minSize, the drain complete, every job
// finished and none killed, and no rank the Job still has left drained.
func TestRestartAtEveryDrainStep(t *testing.T) {
	e := startEnv(t)
	points := []killPoint{
		{name: "none", after: func(context.Context, *cycle) bool { return false }},
		{name: "drain-recorded", drainFails: true, after: func(ctx context.Context, c *cycle) bool {
			st, err := policyStatus(ctx, c.e, c.ns, "p")
			return err == nil && st.DrainingRanks != "" && c.fc.Calls("Drain") > 0
		}},
		{name: "flux-drained", after: func(_ context.Context, c *cycle) bool { return c.sim.Stats().Drains >= 1 }},
		{name: "shrunk", after: func(ctx context.Context, c *cycle) bool {
			n, _ := jobParallelism(ctx, c.e, c.ns, "work")
			return n >= 1 && n < 4
		}},
		{name: "undrained", after: func(_ context.Context, c *cycle) bool { return c.sim.Stats().Undrains >= 1 }},
	}
	ends := make(map[string]string, len(points))
	t.Run("points", func(t *testing.T) {
		for _, kp := range points {
			t.Run(kp.name, func(t *testing.T) {
				t.Parallel()
				c := &cycle{e: e, ns: e.namespace(t, "restart-"+kp.name), sim: ctrltest.NewSim(t, 4), srcs: newSources()}
				end := c.run(t, kp)
				ends[kp.name] = end // written before the parent reads, after every subtest ends
				if kp.name != "none" && !c.killed {
					t.Errorf("the kill point %s never came: the cycle skipped that step", kp.name)
				}
				t.Logf("kill point %s: killed after %s; end state %s", kp.name, c.atKill, end)
			})
		}
	})
	for _, kp := range points {
		if ends[kp.name] != ends["none"] {
			t.Errorf("killed after %s the cycle ended in %s, an uninterrupted one in %s", kp.name, ends[kp.name], ends["none"])
		}
	}
}

// run drives the cycle, killing the controller at kp, and returns its end state.
func (c *cycle) run(t *testing.T, kp killPoint) string {
	c.fc = faults.Wrap(c.sim)
	if kp.drainFails {
		c.fc.SetMethod("Drain", faults.Error)
	}
	c.srcs.add("p", c.fc)
	createIndexedJob(t, c.e, c.ns, "work", 4)
	startMirror(t, c.e, c.sim, c.ns, "work")
	ctrltest.Eventually(t, time.Minute, "4 Flux ranks up", func(context.Context) (bool, string) {
		return c.sim.Size() == 4, fmt.Sprintf("size %d", c.sim.Size())
	})
	// FCFS on the lowest free ranks: short jobs on ranks 0-2, a longer one on rank 3, so
	// ranks 1-3 are drained while rank 3 is still busy.
	ctrltest.Submit(t, c.sim, 1, 3, 2*time.Second)
	ctrltest.Submit(t, c.sim, 4, 1, 8*time.Second)
	c.ctrl = startController(t, c.e, c.srcs, controllerOptions{namespace: c.ns})
	if err := c.e.Client.Create(t.Context(), jobPolicy(c.ns, "p", "work", 4)); err != nil {
		t.Fatal(err)
	}
	c.until(t, kp, "the shrink to 1 once rank 3's job ends", func(ctx context.Context) (bool, string) {
		n, msg := jobParallelism(ctx, c.e, c.ns, "work")
		return n == 1, fmt.Sprintf("parallelism %d %s; sim %+v", n, msg, c.sim.Stats())
	})
	// Work arrives again only once the removed pods are gone. Sooner, the Job controller may
	// still be deleting old pods of ranks 1-2 when the growth undrains those ranks, and Flux
	// jobs placed on them die with them (seen here: see the report of issue 9); that race
	// is not what this test is about.
	c.until(t, kp, "the removed pods gone", func(ctx context.Context) (bool, string) {
		n, err := podCount(ctx, c.e, c.ns, "work")
		return err == nil && n == 1, fmt.Sprintf("%d pods (%v)", n, err)
	})
	// Growth again: the ranks drained for the shrink must be given back.
	ctrltest.Submit(t, c.sim, 5, 3, 3*time.Second)
	c.until(t, kp, "the growth to 3 and the three new jobs started", func(ctx context.Context) (bool, string) {
		n, msg := jobParallelism(ctx, c.e, c.ns, "work")
		st := c.sim.Stats()
		return n == 3 && st.Started == 7, fmt.Sprintf("parallelism %d %s; sim %+v", n, msg, st)
	})
	c.until(t, kp, "every job finished, the Job back at 1 and the drain complete", func(ctx context.Context) (bool, string) {
		n, msg := jobParallelism(ctx, c.e, c.ns, "work")
		ok, cmsg := conditionIs(ctx, c.e, c.ns, "p", v1alpha1.ConditionDraining, "False/"+v1alpha1.ReasonDrainComplete)
		return n == 1 && ok && c.sim.Stats().Finished == 7, fmt.Sprintf("parallelism %d %s; %s; sim %+v", n, msg, cmsg, c.sim.Stats())
	})
	return c.endState(t)
}

// until polls cond like ctrltest.Eventually, and kills and replaces the controller the first
// time the kill point's step has happened.
func (c *cycle) until(t *testing.T, kp killPoint, what string, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	ctrltest.Eventually(t, 45*time.Second, what, func(ctx context.Context) (bool, string) {
		if !c.killed && kp.after(ctx, c) {
			c.ctrl.Stop(t)
			c.fc.ClearMethod("Drain")
			c.killed = true
			c.atKill = c.describe(ctx)
			c.ctrl = startController(t, c.e, c.srcs, controllerOptions{namespace: c.ns})
		}
		return cond(ctx)
	})
}

// describe summarizes the cycle's state: status.drainingRanks, the Job's size, Flux's
// drain marks and the simulated job counts.
func (c *cycle) describe(ctx context.Context) string {
	st, _ := policyStatus(ctx, c.e, c.ns, "p")
	n, _ := jobParallelism(ctx, c.e, c.ns, "work")
	fs, _ := c.sim.State(ctx)
	s := c.sim.Stats()
	return fmt.Sprintf("{drainingRanks %q, parallelism %d, flux drained %s, jobs finished %d}", st.DrainingRanks, n, drainedRanks(fs), s.Finished)
}

// endState is what must not depend on where the controller was killed; it also fails the
// test on a killed job or a drained rank the Job still has.
func (c *cycle) endState(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	st, err := policyStatus(ctx, c.e, c.ns, "p")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := jobParallelism(ctx, c.e, c.ns, "work")
	fs, err := c.sim.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stats := c.sim.Stats()
	if stats.Killed != 0 {
		t.Errorf("%d simulated Flux jobs killed, want 0", stats.Killed)
	}
	for _, r := range fs.Ranks {
		if r.Rank < n && r.Drain != "" {
			t.Errorf("rank %d is part of the Job (size %d) but Flux has it %s", r.Rank, n, r.Drain)
		}
	}
	return fmt.Sprintf("{size %d, currentSize %d, finished %d, killed %d, drained-in-job %s}",
		n, st.CurrentSize, stats.Finished, stats.Killed, drainedBelow(fs, n))
}

// drainedRanks lists the ranks Flux has drained or draining.
func drainedRanks(s flux.State) flux.RankSet {
	var out []int32
	for _, r := range s.Ranks {
		if r.Drain != "" {
			out = append(out, r.Rank)
		}
	}
	return flux.NewRankSet(out...)
}

// drainedBelow lists the drained ranks below size: ranks the target still has.
func drainedBelow(s flux.State, size int32) flux.RankSet {
	var out []int32
	for _, r := range drainedRanks(s) {
		if r < size {
			out = append(out, r)
		}
	}
	return flux.NewRankSet(out...)
}
