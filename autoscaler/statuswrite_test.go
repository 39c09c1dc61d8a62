package autoscaler

import (
	"testing"
	"time"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// A policy at rest writes its status only on the heartbeat, not on every poll, yet each
// signal's lastUpdate in the API server stays within a heartbeat of now; new demand is
// written at once.
func TestStatusAtRestIsWrittenOnTheHeartbeat(t *testing.T) {
	h, sim := jobHarness(t, 2)
	// The first conditions get a time with a fraction of a second, which the API server
	// does not keep: the status kept in memory must not differ from the written one for
	// that (it did, and every pass at rest wrote).
	h.clock.Step(250 * time.Millisecond)
	submit(t, sim, 1, 2, 2*time.Hour)
	h.step(time.Second)
	h.step(time.Second)
	if got := h.jobSize(); got != 2 {
		t.Fatalf("two busy nodes: Job size %d, want 2", got)
	}
	h.statusWrites = 0
	const polls = 60 // ten minutes of 10 s polls
	for range polls {
		h.step(10 * time.Second)
		now := h.clock.Now()
		for _, s := range h.status().Signals {
			if s.LastUpdate != nil && now.Sub(s.LastUpdate.Time) > statusHeartbeat {
				t.Fatalf("at %s signal %s was last written %s ago, more than the heartbeat %s",
					now.Sub(t0), s.Name, now.Sub(s.LastUpdate.Time), statusHeartbeat)
			}
		}
	}
	// One write per heartbeat: 10 min / 3 min.
	if h.statusWrites < 3 || h.statusWrites > 4 {
		t.Errorf("%d status writes in %d polls at rest, want 3-4 (one per %s heartbeat)", h.statusWrites, polls, statusHeartbeat)
	}
	h.statusWrites = 0
	submit(t, sim, 3, 1, time.Hour)
	h.step(time.Second)
	if h.statusWrites == 0 || h.jobSize() != 3 {
		t.Errorf("new demand: %d status writes, Job size %d; want the new status written and size 3", h.statusWrites, h.jobSize())
	}
}

// The scale-down window survives a restart although the newest recommendation's time is
// not written on every pass: four jobs hold the size at 4 for ten minutes, so the status
// last recorded a recommendation of 4 up to a heartbeat before they end. The restarted
// controller reads it as lasting until the heartbeat that would have followed, so it
// shrinks no earlier than the one that kept running, and at most a heartbeat later.
func TestScaleDownWindowSurvivesARestartWithoutPerPassWrites(t *testing.T) {
	shrinkAt := func(restartAfter time.Duration) time.Duration {
		sim, err := simulated.New(simulated.Options{Start: t0, MaxSize: 6, InitialSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
		sp.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = ptr.To[int32](300)
		sp.Spec.ScaleDown.Mode = v1alpha1.ScaleDownImmediate
		h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(1).Obj())
		submit(t, sim, 1, 4, 10*time.Minute)
		h.step(time.Second)
		if got := h.jobSize(); got != 4 {
			t.Fatalf("four queued jobs: Job size %d, want 4", got)
		}
		var elapsed time.Duration
		restarted := false
		for elapsed < 30*time.Minute {
			h.step(10 * time.Second)
			elapsed += 10 * time.Second
			if h.jobSize() < 4 {
				return elapsed
			}
			if !restarted && restartAfter > 0 && elapsed >= restartAfter {
				h.restart()
				restarted = true
			}
		}
		t.Fatalf("no shrink within 30 min (restart after %s)", restartAfter)
		return 0
	}
	base := shrinkAt(0)
	for _, after := range []time.Duration{5 * time.Minute, 9*time.Minute + 50*time.Second, 12 * time.Minute} {
		got := shrinkAt(after)
		if got < base || got > base+statusHeartbeat {
			t.Errorf("restart after %s: shrink at %s, want between %s (no restart) and a heartbeat later", after, got, base)
		}
	}
}

// A pass whose size write conflicts takes back the scale event it recorded in status ahead of
// the write: the status it leaves holds no event, and the retry grows the Job to 4 in one
// step. A phantom event would make the rate limit count a scale that never happened (with a
// concurrent writer of the Job, the reliability suite saw the growth held to 2 while status
// writes skipped a change of scale events as if it were expiry).
func TestAFailedScaleLeavesNoScaleEventBehind(t *testing.T) {
	h, sim := jobHarness(t, 1)
	h.step(time.Second)
	submit(t, sim, 1, 4, time.Hour)
	h.failJobPatches = 1
	h.clock.Step(time.Second)
	if err := sim.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	// The conflict is the pass's result (a retry), not a test failure.
	_, _ = h.r.Reconcile(t.Context(), reconcile.Request{NamespacedName: h.key})
	if got := h.status().History.ScaleEvents; len(got) != 0 {
		t.Fatalf("after a failed size write the status keeps scale events %+v, want none", got)
	}
	h.step(time.Second)
	if got := h.jobSize(); got != 4 {
		t.Errorf("Job size %d after the retry, want 4 (no phantom event limiting the growth)", got)
	}
}

// jobHarness is a harness for policy p over Indexed Job work at size, with a simulated Flux
// of 6 ranks, size of them up.
func jobHarness(t *testing.T, size int32) (*harness, *simulated.Cluster) {
	t.Helper()
	sim, err := simulated.New(simulated.Options{Start: t0, MaxSize: 6, InitialSize: size})
	if err != nil {
		t.Fatal(err)
	}
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	return newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(size).Obj()), sim
}
