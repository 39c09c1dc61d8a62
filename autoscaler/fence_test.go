package autoscaler

import (
	"context"
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

// A streamed state never satisfies the fence, however late its stamp or high its version:
// the watcher program may have read it before the drain, and its stamp is its line's arrival.
// The same state read by this pass does.
func TestStreamedStateNeverSatisfiesTheFence(t *testing.T) {
	h, _ := jobHarness(t, 2)
	h.r.memory.SetFence(h.key, source.Fence{At: t0, Version: 3})
	p := &pass{r: h.r, key: h.key}
	st := flux.State{ObservedAt: t0.Add(time.Minute), Version: 4}
	o := &outcome{flux: fluxReading{state: &st, fresh: true}}
	spec := v1alpha1.ScalingPolicySpec{ScaleDown: v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownDrain}}
	if !p.fresherThanFence(o, &spec) {
		t.Fatal("a read stamped after the fence does not satisfy it")
	}
	p.streamed = true
	if p.fresherThanFence(o, &spec) {
		t.Error("a streamed state satisfied the fence")
	}
}
