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

func TestFromStart(t *testing.T) {
	for _, c := range []struct{ requeue, elapsed, want time.Duration }{
		{10 * time.Second, 84 * time.Millisecond, 10*time.Second - 84*time.Millisecond},
		{10 * time.Second, 10 * time.Second, 10 * time.Second}, // a read that waited out its timeout: no hot loop on a hung source
		{10 * time.Second, 6 * time.Second, 6 * time.Second},   // over half the poll: wait as long as it took
		{time.Second, 5 * time.Second, time.Second},            // a short recheck after a long pass: as asked, counted from now
		{150 * time.Millisecond, 100 * time.Millisecond, minRecheck},
		{0, time.Second, 0}, // no requeue asked stays none
	} {
		if got := fromStart(c.requeue, c.elapsed); got != c.want {
			t.Errorf("fromStart(%v, %v) = %v, want %v", c.requeue, c.elapsed, got, c.want)
		}
	}
}
