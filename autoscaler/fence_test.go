package autoscaler

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/policy"
)

// cachingFlux is a fake Flux source that behaves like the agent: State serves the snapshot
// taken at the last refresh, while drains and undrains reach Flux at once.
type cachingFlux struct {
	*simulated.Cluster
	mu     sync.Mutex
	snap   flux.State
	drains int
}

func (c *cachingFlux) refresh(t *testing.T) {
	t.Helper()
	st, err := c.Cluster.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.snap = st
	c.mu.Unlock()
}

func (c *cachingFlux) State(context.Context) (flux.State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap, nil
}

// Drain counts the drain calls that reach Flux.
func (c *cachingFlux) Drain(ctx context.Context, ranks flux.RankSet, reason string) error {
	c.mu.Lock()
	c.drains++
	c.mu.Unlock()
	return c.Cluster.Drain(ctx, ranks, reason)
}

type cachingSources struct{ c *cachingFlux }

// stepCached moves both clocks by a second, takes a new snapshot when refresh is set (the
// agent's refresh), reconciles, and mirrors the Job's size into the model.
func (h *harness) stepCached(cf *cachingFlux, refresh bool) {
	h.t.Helper()
	h.clock.Step(time.Second)
	if err := h.sim.Advance(time.Second); err != nil {
		h.t.Fatal(err)
	}
	if refresh {
		cf.refresh(h.t)
	}
	if _, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key}); err != nil {
		h.t.Fatal(err)
	}
	if err := h.sim.Resize(h.jobSize()); err != nil {
		h.t.Fatal(err)
	}
}

func (s cachingSources) NewSource(context.Context, *v1alpha1.ScalingPolicy, *target.Info) (source.Source, error) {
	return source.Source{Flux: s.c}, nil
}

// An undrain followed at once by a shrink (an Exact hint bypasses the windows) must not act
// on the snapshot taken before the undrain: it shows the given-back ranks idle, while Flux
// has placed jobs there since.
func TestShrinkWaitsForStateObservedAfterAnUndrain(t *testing.T) {
	sim := newSimCluster(t, 6)
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	sp.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = new(int32(300))
	sp.Spec.Hints = v1alpha1.HintsSpec{Mode: v1alpha1.HintExact}
	h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(6).Obj())
	cf := &cachingFlux{Cluster: sim}
	h.r.sources = source.NewCache(cachingSources{cf})
	step := func(refresh bool) { t.Helper(); h.stepCached(cf, refresh) }
	exact := func(id string, size int32) {
		t.Helper()
		hint := policy.Hint{ID: id, Subject: "system:serviceaccount:team:app", Size: size, Mode: v1alpha1.HintExact,
			Expires: h.clock.Now().Add(time.Hour)}
		if err := h.hints.Put(h.key, hint); err != nil {
			t.Fatal(err)
		}
	}

	submit(t, sim, 1, 4, time.Hour) // ranks 0-3 busy, 4-5 idle (held by the 300 s window)
	step(true)
	exact("h1", 4) // drain 4-5
	step(true)
	if got := h.status().DrainingRanks; got != "4-5" {
		t.Fatalf("drainingRanks %q, want 4-5", got)
	}
	h.hints.Delete(h.key, "system:serviceaccount:team:app")
	submit(t, sim, 5, 2, time.Hour) // demand returns: 4-5 are given back and Flux fills them
	step(true)
	if got := h.status().DrainingRanks; got != "" {
		t.Fatalf("drainingRanks %q after demand returned, want none", got)
	}
	exact("h2", 4) // within a second, on the snapshot from before the undrain
	step(false)
	if got := h.jobSize(); got != 6 {
		t.Errorf("Job size %d: shrunk on a snapshot from before the undrain", got)
	}
	if got := h.condition(v1alpha1.ConditionScalingLimited); got != "True/WaitingForFreshState" {
		t.Errorf("ScalingLimited %q, want True/WaitingForFreshState", got)
	}
	step(true) // fresh state: 4-5 are busy, so they are drained, not removed
	step(true)
	if st := sim.Stats(); st.Killed != 0 {
		t.Errorf("%d simulated jobs killed", st.Killed)
	}
}

// A snapshot taken before our own drain shows the ranks undrained: that is the snapshot's
// age, not an undrain, so the ranks are not drained again and no second DrainStarted is
// recorded (seen on the real operator: two DrainStarted for one drain of ranks 2-3).
func TestNoSecondDrainOnASnapshotFromBeforeTheDrain(t *testing.T) {
	sim := newSimCluster(t, 6)
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(6).Obj())
	cf := &cachingFlux{Cluster: sim}
	h.r.sources = source.NewCache(cachingSources{cf})
	step := func(refresh bool) { t.Helper(); h.stepCached(cf, refresh) }
	submit(t, sim, 1, 4, time.Hour) // ranks 0-3 busy, 4-5 idle
	step(true)                      // drains 4-5 on a snapshot taken just before
	step(false)
	step(false)
	if cf.drains != 1 {
		t.Errorf("%d drain calls, want 1: the ranks were drained again on a snapshot from before the drain", cf.drains)
	}
	if diff := cmp.Diff([]string{"Normal DrainStarted"}, h.events()); diff != "" {
		t.Errorf("events on the old snapshot (-want +got):\n%s", diff)
	}
	step(true) // fresh: 4-5 drained and idle
	if got := h.jobSize(); got != 4 {
		t.Errorf("Job size %d after a fresh read, want 4", got)
	}
	if diff := cmp.Diff([]string{"Normal SuccessfulRescale", "Normal DrainCompleted"}, h.events()); diff != "" {
		t.Errorf("events at the shrink (-want +got):\n%s", diff)
	}
}

// A streamed state satisfies a drain's fence by what it shows, never by its stamp or version:
// every rank of the drain drained with the drain's exact reason (its marker) and down in the
// scheduler's own view, and no drained rank the scheduler has not taken in. The states here
// are fakes of the state program's read (flux.State literals). Each is also shown as a read of
// this pass: stamped after the fence, it satisfies it by time, whatever it shows.
func TestStreamedStateSatisfiesTheFenceOnlyWithTheDrainMarker(t *testing.T) {
	const (
		marked = "fluxscale: scale-down to 2 (drain 0a1b2c3d4e5f)"
		older  = "fluxscale: scale-down to 3 (drain 99aa88bb77cc)"
	)
	drainFence := source.Fence{At: t0, Version: 3, Reason: marked, Ranks: flux.RankSet{2, 3}}
	// programRead is ranks 0-1 busy and 2-3 drained with the marker and down in the
	// scheduler, as the program reads it once the drain took hold; edit changes it.
	programRead := func(edit func(st *flux.State)) flux.State {
		st := flux.State{ObservedAt: t0.Add(time.Minute), Version: 4, PerRank: true, SchedulerView: true, Ranks: []flux.Rank{
			{Rank: 0, Online: true, Allocated: true},
			{Rank: 1, Online: true, Allocated: true},
			{Rank: 2, Online: true, Drain: flux.DrainDrained, Reason: marked, SchedulerDown: true},
			{Rank: 3, Online: true, Drain: flux.DrainDrained, Reason: marked, SchedulerDown: true},
		}}
		if edit != nil {
			edit(&st)
		}
		return st
	}
	for name, c := range map[string]struct {
		fence   *source.Fence // nil: no drain or undrain on record
		state   flux.State
		satisfy bool
	}{
		"every rank of the drain shows its marker": {fence: &drainFence, state: programRead(nil), satisfy: true},
		"a draining rank (a job left on it) shows it too": {fence: &drainFence, state: programRead(func(st *flux.State) {
			st.Ranks[3].Drain, st.Ranks[3].Allocated = flux.DrainDraining, true
		}), satisfy: true},
		"no marker (a reason without one)": {fence: &drainFence, state: programRead(func(st *flux.State) {
			st.Ranks[2].Reason, st.Ranks[3].Reason = "fluxscale: scale-down to 2", "fluxscale: scale-down to 2"
		})},
		"an older drain's marker": {fence: &drainFence, state: programRead(func(st *flux.State) {
			st.Ranks[2].Reason, st.Ranks[3].Reason = older, older
		})},
		"only some ranks of the drain drained": {fence: &drainFence, state: programRead(func(st *flux.State) {
			st.Ranks[3] = flux.Rank{Rank: 3, Online: true}
		})},
		"a rank of the drain missing": {fence: &drainFence, state: programRead(func(st *flux.State) {
			st.Ranks = st.Ranks[:3]
		})},
		"the marker shown, the scheduler not yet down on a rank": {fence: &drainFence, state: programRead(func(st *flux.State) {
			st.Ranks[3].SchedulerDown = false
		})},
		"the marker shown, without the scheduler's own view": {fence: &drainFence, state: programRead(func(st *flux.State) {
			st.SchedulerView = false
		})},
		"another drained rank the scheduler has not taken in": {fence: &drainFence, state: programRead(func(st *flux.State) {
			st.Ranks = append(st.Ranks, flux.Rank{Rank: 4, Online: true, Drain: flux.DrainDrained, Reason: older})
		})},
		"an undrain's fence, the last drain's marker shown": {fence: &source.Fence{At: t0, Version: 3}, state: programRead(nil)},
		"no fence, the scheduler caught up":                 {state: programRead(nil), satisfy: true},
		"no fence, the scheduler not caught up": {state: programRead(func(st *flux.State) {
			st.Ranks[2].SchedulerDown = false
		})},
	} {
		t.Run(name, func(t *testing.T) {
			h, _ := jobHarness(t, 2)
			if c.fence != nil {
				h.r.memory.SetFence(h.key, *c.fence)
			}
			spec := v1alpha1.ScalingPolicySpec{ScaleDown: v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownDrain}}
			st := c.state
			o := &outcome{flux: fluxReading{state: &st, fresh: true}}
			p := &pass{r: h.r, key: h.key, streamed: true}
			if got := p.fresherThanFence(o, &spec); got != c.satisfy {
				t.Errorf("streamed: satisfies the fence %v, want %v", got, c.satisfy)
			}
			if got := p.streamedProvesShrink(o, &spec); got != c.satisfy {
				t.Errorf("streamed: proves a shrink %v, want %v", got, c.satisfy)
			}
			p.streamed = false
			if !p.fresherThanFence(o, &spec) {
				t.Error("the same state read by this pass, stamped after the fence, does not satisfy it")
			}
		})
	}
}

// Each drain's reason carries a marker of its own, which Flux accepts as a drain reason.
func TestDrainReasonsAreMarked(t *testing.T) {
	a, b := drainReason(2), drainReason(2)
	if a == b {
		t.Errorf("two drains to 2 gave the same reason %q", a)
	}
	for _, r := range []string{a, b} {
		if !strings.HasPrefix(r, "fluxscale: scale-down to 2 (drain ") {
			t.Errorf("reason %q does not say what the drain is for", r)
		}
		if err := flux.ValidateDrainReason(r); err != nil {
			t.Error(err)
		}
	}
}
