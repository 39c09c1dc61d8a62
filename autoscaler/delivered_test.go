package autoscaler

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/policy"
)

// countingFlux is the simulated cluster as a source whose State calls (the pods/exec reads
// of the Exec source) are counted.
type countingFlux struct {
	*simulated.Cluster
	reads atomic.Int32
}

func (c *countingFlux) State(ctx context.Context) (flux.State, error) {
	c.reads.Add(1)
	return c.Cluster.State(ctx)
}

type countingSources struct{ c *countingFlux }

func (s countingSources) NewSource(context.Context, *v1alpha1.ScalingPolicy, *target.Info) (source.Source, error) {
	return source.Source{Flux: s.c}, nil
}

// countReads makes the harness read Flux through a counting source.
func countReads(h *harness) *countingFlux {
	cf := &countingFlux{Cluster: h.sim}
	h.r.sources = source.NewCache(countingSources{cf})
	return cf
}

// stateOf is a state of another model: size ranks with jobs of one node each submitted and
// placed, as the watcher program would have read it.
func stateOf(t *testing.T, size int32, jobs int) flux.State {
	t.Helper()
	sim, err := simulated.New(simulated.Options{Start: t0, MaxSize: 6, InitialSize: size})
	if err != nil {
		t.Fatal(err)
	}
	submit(t, sim, 1, jobs, time.Hour)
	if err := sim.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	st, err := sim.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// deliver hands st to the policy's next pass as the Exec stream's feeder does, 100 ms after
// the last pass: stamped with its arrival, as the watcher stamps a state line.
func (h *harness) deliver(st flux.State, version uint64) {
	h.t.Helper()
	h.clock.Step(100 * time.Millisecond)
	if err := h.sim.Advance(100 * time.Millisecond); err != nil {
		h.t.Fatal(err)
	}
	st.Version, st.ObservedAt = version, h.clock.Now()
	h.r.feeders.Deliver(h.key, source.GoodState{State: st, At: h.clock.Now(), Streamed: true})
}

// (a) A streamed state is decided on without a Flux read: it shows four queued nodes the
// model does not have, so only it can explain the growth to 4.
func TestPassDecidesOnAStreamedStateWithoutARead(t *testing.T) {
	h, _ := jobHarness(t, 1)
	cf := countReads(h)
	h.step(time.Second)
	h.deliver(stateOf(t, 1, 4), 7)
	before := cf.reads.Load()
	h.step(time.Second)
	if got := h.jobSize(); got != 4 {
		t.Errorf("a streamed state with 1 busy and 3 pending nodes: Job size %d, want 4", got)
	}
	if n := cf.reads.Load() - before; n != 0 {
		t.Errorf("%d Flux reads in the pass that had a streamed state, want 0", n)
	}
	if _, ok := h.r.feeders.TakeDelivered(h.key); ok {
		t.Error("the streamed state still waits after the pass that used it")
	}
}

// (c) A streamed state older than a poll interval, or older than the last read, is dropped
// and Flux is read: the model's empty queue keeps the size at 1.
func TestPassDropsAnOldStreamedStateAndReads(t *testing.T) {
	for name, c := range map[string]struct {
		// wait is how long after the delivery the pass runs; readBetween reads Flux in a
		// pass between the delivery and the pass that would take it.
		wait        time.Duration
		readBetween bool
	}{
		"older than a poll interval": {wait: 11 * time.Second},
		"older than the last read":   {wait: time.Second, readBetween: true},
	} {
		t.Run(name, func(t *testing.T) {
			h, _ := jobHarness(t, 1)
			cf := countReads(h)
			h.step(time.Second)
			h.deliver(stateOf(t, 1, 4), 7)
			if c.readBetween {
				// The delivery arrived while this pass read; the pass took nothing.
				d, _ := h.r.feeders.TakeDelivered(h.key)
				h.step(time.Second)
				h.r.feeders.Deliver(h.key, d)
			}
			before := cf.reads.Load()
			h.step(c.wait)
			if n := cf.reads.Load() - before; n != 1 {
				t.Errorf("%d Flux reads, want 1: the old streamed state is not decided on", n)
			}
			if got := h.jobSize(); got != 1 {
				t.Errorf("Job size %d, want 1 (the model's empty queue, not the old streamed state's 4)", got)
			}
			if _, ok := h.r.feeders.TakeDelivered(h.key); ok {
				t.Error("the old streamed state still waits after the pass")
			}
		})
	}
}

// (b) In Immediate mode a streamed state never justifies a shrink by itself: here it shows the
// four busy ranks idle, and the pass reads Flux, which shows them busy, and holds.
func TestStreamedStateThatWouldShrinkIsReadAgain(t *testing.T) {
	sim := newSimCluster(t, 4)
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	sp.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = new(int32(0))
	sp.Spec.ScaleDown.Mode = v1alpha1.ScaleDownImmediate
	h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(4).Obj())
	cf := countReads(h)
	submit(t, sim, 1, 4, time.Hour)
	h.step(time.Second)
	h.deliver(stateOf(t, 4, 0), 9)
	before := cf.reads.Load()
	h.step(time.Second)
	if n := cf.reads.Load() - before; n != 1 {
		t.Errorf("%d Flux reads after a streamed state that would shrink, want 1", n)
	}
	if got := h.jobSize(); got != 4 {
		t.Errorf("Job size %d, want 4: shrunk on a streamed state while Flux runs four jobs", got)
	}
	if st := sim.Stats(); st.Killed != 0 {
		t.Errorf("%d simulated jobs killed", st.Killed)
	}
}

// (b) The race the rule is for: the watcher program read the state while ranks 4-5 were still
// drained, and its line arrived after the undrain returned (so its stamp is after the fence),
// when Flux had placed jobs on them. An Exact hint asks for 4 at once. On that state alone
// the pass would remove ranks 4-5 and kill both jobs; it reads Flux instead, sees them busy
// and drains them. The state is the program's full read (programRead): it shows the first
// drain's marker on 4-5, down in the scheduler, which proves nothing after an undrain.
func TestStreamedStateFromBeforeAnUndrainNeverShrinks(t *testing.T) {
	sim := newSimCluster(t, 6)
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	sp.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = new(int32(300))
	sp.Spec.Hints = v1alpha1.HintsSpec{Mode: v1alpha1.HintExact}
	h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(6).Obj())
	cf := countReads(h)
	exact := func(id string, size int32) {
		t.Helper()
		hint := policy.Hint{ID: id, Subject: "system:serviceaccount:team:app", Size: size, Mode: v1alpha1.HintExact,
			Expires: h.clock.Now().Add(time.Hour)}
		if err := h.hints.Put(h.key, hint); err != nil {
			t.Fatal(err)
		}
	}
	submit(t, sim, 1, 4, time.Hour) // ranks 0-3 busy, 4-5 idle
	h.step(time.Second)
	exact("h1", 4) // drain 4-5
	h.step(time.Second)
	if got := h.status().DrainingRanks; got != "4-5" {
		t.Fatalf("drainingRanks %q, want 4-5", got)
	}
	drained, err := sim.State(t.Context()) // what the program reads now: 4-5 drained, idle
	if err != nil {
		t.Fatal(err)
	}
	h.hints.Delete(h.key, "system:serviceaccount:team:app")
	submit(t, sim, 5, 2, time.Hour) // demand returns: 4-5 are given back and Flux fills them
	h.step(time.Second)
	if got := h.status().DrainingRanks; got != "" {
		t.Fatalf("drainingRanks %q after demand returned, want none", got)
	}
	if err := sim.Advance(0); err != nil {
		t.Fatal(err)
	}
	h.deliver(programRead(drained), 1<<40) // arrives now, after the undrain: newer by time and version
	exact("h2", 4)
	before := cf.reads.Load()
	h.step(time.Second)
	if n := cf.reads.Load() - before; n != 1 {
		t.Errorf("%d Flux reads after a streamed state that would shrink, want 1", n)
	}
	if got := h.jobSize(); got != 6 {
		t.Errorf("Job size %d: shrunk on a streamed state read before the undrain", got)
	}
	if got := h.status().DrainingRanks; got != "4-5" {
		t.Errorf("drainingRanks %q, want 4-5: the read shows them busy, so they are drained, not removed", got)
	}
	if st := sim.Stats(); st.Killed != 0 {
		t.Errorf("%d simulated jobs killed", st.Killed)
	}
}

// A streamed state read before our drain shows the drained ranks undrained. When demand on
// it gives them back, they are undrained in Flux all the same: skipping them as already
// undrained (what a read of this pass allows) would leave them drained and no longer ours.
func TestUndrainOnAStreamedStateReachesFlux(t *testing.T) {
	sim := newSimCluster(t, 6)
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	sp.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = new(int32(300))
	sp.Spec.Hints = v1alpha1.HintsSpec{Mode: v1alpha1.HintExact}
	h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(6).Obj())
	countReads(h)
	submit(t, sim, 1, 4, time.Hour) // ranks 0-3 busy, 4-5 idle
	h.step(time.Second)
	hint := policy.Hint{ID: "h1", Subject: "system:serviceaccount:team:app", Size: 4, Mode: v1alpha1.HintExact,
		Expires: h.clock.Now().Add(time.Hour)}
	if err := h.hints.Put(h.key, hint); err != nil {
		t.Fatal(err)
	}
	h.step(time.Second) // drains 4-5
	if got := h.status().DrainingRanks; got != "4-5" {
		t.Fatalf("drainingRanks %q, want 4-5", got)
	}
	h.hints.Delete(h.key, "system:serviceaccount:team:app")
	h.deliver(stateOf(t, 6, 8), 11) // read before the drain: 4-5 undrained, two jobs waiting
	h.step(time.Second)
	if got := h.status().DrainingRanks; got != "" {
		t.Fatalf("drainingRanks %q after demand returned, want none", got)
	}
	st, err := sim.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, rk := range st.Ranks {
		if rk.Drain != "" {
			t.Errorf("rank %d is still %s in Flux after it was given back", rk.Rank, rk.Drain)
		}
	}
}

// programRead is a fake of the state program's read (metrics/flux/state.py) of the model: its
// state with the scheduler's own view, where the model's scheduler has taken in every drain at
// once (a drained or offline rank is down in it).
func programRead(st flux.State) flux.State {
	st.SchedulerView = true
	st.Ranks = slices.Clone(st.Ranks)
	for i, rk := range st.Ranks {
		st.Ranks[i].SchedulerDown = rk.Drain != "" || !rk.Online
	}
	return st
}

// A step down on the stream: the state after a job ended drains the idle top rank, and the
// program's state after the drain, which shows the drain's marker, shrinks, with no Flux read
// in either pass. The same state without the scheduler's view (what the job manager's
// allocations give) proves nothing, and the shrink waits for a read.
func TestStepDownOnTheStreamNeedsNoReadAfterTheDrain(t *testing.T) {
	for name, c := range map[string]struct {
		afterDrain func(flux.State) flux.State
		reads      int32
	}{
		"the program's read shows the marker": {afterDrain: programRead, reads: 0},
		"without the scheduler's view": {afterDrain: func(st flux.State) flux.State {
			return st
		}, reads: 1},
	} {
		t.Run(name, func(t *testing.T) {
			sim := newSimCluster(t, 3)
			sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
			sp.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = new(int32(0))
			h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(3).Obj())
			cf := countReads(h)
			submit(t, sim, 1, 2, time.Hour) // ranks 0-1 busy, 2 idle
			if err := sim.Advance(0); err != nil {
				t.Fatal(err)
			}
			read := func() flux.State {
				t.Helper()
				st, err := sim.State(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			before := cf.reads.Load()
			h.deliver(programRead(read()), 1)
			h.step(time.Second)
			if got := h.status().DrainingRanks; got != "2" {
				t.Fatalf("drainingRanks %q, want 2", got)
			}
			st := read()
			if rk := st.Ranks[2]; rk.Drain == "" || !strings.Contains(rk.Reason, "(drain ") {
				t.Fatalf("rank 2 in Flux: %+v, want drained with a marked reason", rk)
			}
			h.deliver(c.afterDrain(st), 2)
			h.step(time.Second)
			if n := cf.reads.Load() - before; n != c.reads {
				t.Errorf("%d Flux reads from the state that drained to the shrink, want %d", n, c.reads)
			}
			if got := h.jobSize(); got != 2 {
				t.Errorf("Job size %d, want 2", got)
			}
			if st := sim.Stats(); st.Killed != 0 {
				t.Errorf("%d simulated jobs killed", st.Killed)
			}
		})
	}
}
