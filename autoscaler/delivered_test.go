package autoscaler

import (
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// A state the policy's feeder received with its trigger is what the pass decides on: Flux
// is not read again. Here the delivered state (three pending jobs) differs from what the
// model would answer (none), so only the delivered one can explain the growth; one older
// than a poll interval is dropped and Flux is read instead.
func TestPassUsesTheStateItsTriggerDelivered(t *testing.T) {
	h, _ := jobHarness(t, 1)
	h.step(time.Second)

	busy, err := simulated.New(simulated.Options{Start: t0, MaxSize: 6, InitialSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	submit(t, busy, 1, 4, time.Hour)
	if err := busy.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	st, err := busy.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	st.Version = 1 << 40

	h.r.memory.Deliver(h.key, source.GoodState{State: st, At: h.clock.Now().Add(time.Second)})
	h.step(time.Second)
	if got := h.jobSize(); got != 4 {
		t.Fatalf("delivered state with 1 busy + 3 pending nodes: Job size %d, want 4", got)
	}

	// Stale: delivered 11 s before the pass, poll interval 10 s.
	h.r.memory.Deliver(h.key, source.GoodState{State: st, At: h.clock.Now()})
	h.step(11 * time.Second)
	if _, ok := h.r.memory.TakeDelivered(h.key); ok {
		t.Error("the stale delivered state is still waiting after the pass")
	}
	if got := h.status().Signals; len(got) == 0 {
		t.Fatal("no signals in status")
	}
	for _, s := range h.status().Signals {
		if s.Name == signalPendingJobs && s.Value != "0" {
			t.Errorf("after a stale delivery the pass read Flux: %s = %s, want 0 (the model's queue)", s.Name, s.Value)
		}
	}
}
