package autoscaler

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// slowFlux is a fake Flux client for this package's tests: each read takes d on the fake
// clock, as a pods/exec read through a busy API server takes real time.
type slowFlux struct {
	*simulated.Cluster
	clock *clocktesting.FakeClock
	d     time.Duration
}

func (s slowFlux) State(ctx context.Context) (flux.State, error) {
	s.clock.Step(s.d)
	return s.Cluster.State(ctx)
}

type slowSources struct{ flux slowFlux }

func (s slowSources) NewSource(context.Context, *v1alpha1.ScalingPolicy, *target.Info) (source.Source, error) {
	return source.Source{Flux: s.flux}, nil
}

// The poll is a period counted from a pass's start: a pass whose Flux read took 3 s asks
// to run again 7 s after it ends, so the policy is still decided every 10 s.
func TestPollIsCountedFromThePassStart(t *testing.T) {
	sim, err := simulated.New(simulated.Options{Start: t0, MaxSize: 4, InitialSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(1).Obj())
	opts := Options{Sources: slowSources{flux: slowFlux{Cluster: sim, clock: h.clock, d: 3 * time.Second}},
		Metrics: h.r.metrics, Clock: h.clock}
	targets := h.r.targets
	h.r = newReconciler(h.client, h.client, targets, h.recorder, make(chan event.GenericEvent, 10), opts)

	req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: "p"}}
	for i := range 3 {
		res, err := h.r.Reconcile(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if want := 7 * time.Second; res.RequeueAfter != want {
			t.Fatalf("pass %d (its Flux read took 3 s): RequeueAfter %v, want %v (the 10 s poll less the pass)", i, res.RequeueAfter, want)
		}
		h.clock.Step(res.RequeueAfter)
	}
}

func TestScheduleKeepsThePollAPeriod(t *testing.T) {
	key := types.NamespacedName{Namespace: ns, Name: "p"}
	const poll = 10 * time.Second
	for _, c := range []struct {
		name               string
		late, elapsed, ask time.Duration // the pass starts late after the one before asked for poll
		want               time.Duration
	}{
		{name: "on time, 84 ms pass", elapsed: 84 * time.Millisecond, ask: poll, want: poll - 84*time.Millisecond},
		{name: "late 400 ms: counted from when it was due", late: 400 * time.Millisecond, elapsed: 100 * time.Millisecond, ask: poll, want: poll - 500*time.Millisecond},
		{name: "late by more than half the poll: counted from its start", late: 6 * time.Second, ask: poll, want: poll},
		{name: "late, asking for a sooner recheck: counted from its start", late: 400 * time.Millisecond, ask: 2 * time.Second, want: 2 * time.Second},
		{name: "a read that waited out its timeout: no hot loop", elapsed: 10 * time.Second, ask: poll, want: poll},
		{name: "over half the poll: as long as it took", elapsed: 6 * time.Second, ask: poll, want: 6 * time.Second},
		{name: "a short recheck after a long pass: as asked, from now", elapsed: 5 * time.Second, ask: time.Second, want: time.Second},
		{name: "never sooner than minRecheck", elapsed: 100 * time.Millisecond, ask: 150 * time.Millisecond, want: minRecheck},
		{name: "no requeue asked stays none", ask: 0, want: 0},
	} {
		s := newSchedule()
		prev := s.next(key, t0, t0, poll) // the pass before: at t0, asking for the poll
		start := t0.Add(prev + c.late)
		if got := s.next(key, start, start.Add(c.elapsed), c.ask); got != c.want {
			t.Errorf("%s: requeue %v, want %v", c.name, got, c.want)
		}
	}
}

// An event-triggered pass before the poll was due restarts the period from itself.
func TestScheduleRestartsThePeriodAtAnEarlyPass(t *testing.T) {
	key := types.NamespacedName{Namespace: ns, Name: "p"}
	s := newSchedule()
	s.next(key, t0, t0, 10*time.Second)
	early := t0.Add(3 * time.Second)
	if got := s.next(key, early, early, 10*time.Second); got != 10*time.Second {
		t.Errorf("a pass 3 s into the poll: requeue %v, want 10s from it", got)
	}
}
