package autoscaler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// drainingHarness is a policy mid-drain: the Job grew to 6, then ranks 1-5 were drained
// while a long job keeps rank 5 busy.
func drainingHarness(t *testing.T, sp *v1alpha1.ScalingPolicy) (*harness, *simulated.Cluster) {
	t.Helper()
	sim := newSimCluster(t, 2)
	h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(2).Obj())
	submit(t, sim, 1, 5, 5*time.Minute)
	submit(t, sim, 6, 1, 20*time.Minute)
	h.step(time.Second)
	h.step(6 * time.Minute)
	if got := h.status().DrainingRanks; got != "1-5" {
		t.Fatalf("setup: drainingRanks %q, want 1-5", got)
	}
	h.events()
	return h, sim
}

// drainedRanks are the ranks the simulated Flux shows drained or draining.
func drainedRanks(t *testing.T, sim *simulated.Cluster) []int32 {
	t.Helper()
	st, err := sim.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []int32
	for _, r := range st.Ranks {
		if r.Drain != "" {
			out = append(out, r.Rank)
		}
	}
	return out
}

func (h *harness) policyGone() bool {
	h.t.Helper()
	var sp v1alpha1.ScalingPolicy
	err := h.client.Get(context.Background(), h.key, &sp)
	if err != nil && !apierrors.IsNotFound(err) {
		h.t.Fatal(err)
	}
	return apierrors.IsNotFound(err)
}

func (h *harness) deletePolicy() {
	h.t.Helper()
	var sp v1alpha1.ScalingPolicy
	if err := h.client.Get(context.Background(), h.key, &sp); err != nil {
		h.t.Fatal(err)
	}
	if err := h.client.Delete(context.Background(), &sp); err != nil {
		h.t.Fatal(err)
	}
}

// Deleting a policy mid-drain gives its drained ranks back to Flux before the policy goes.
func TestDeletingAPolicyUndrainsTheRanksItOwns(t *testing.T) {
	h, sim := drainingHarness(t, makeScalingPolicy("p", ns).Target(jobRef("work")).Obj())
	h.deletePolicy()
	h.step(time.Second)
	if !h.policyGone() {
		t.Fatal("the policy is still there after its finalizer ran")
	}
	if got := drainedRanks(t, sim); len(got) != 0 {
		t.Errorf("ranks %v still drained after the policy was deleted", got)
	}
	if diff := cmp.Diff([]string{"Normal RanksReleased"}, h.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// With its target gone nothing can be undrained: the policy still goes, and an event names
// the ranks left drained.
func TestDeletingAPolicyWhoseTargetIsGoneSaysSoAndLetsGo(t *testing.T) {
	h, _ := drainingHarness(t, makeScalingPolicy("p", ns).Target(jobRef("work")).Obj())
	if err := h.client.Delete(context.Background(), makeJob("work", ns).Obj()); err != nil {
		t.Fatal(err)
	}
	h.deletePolicy()
	if _, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key}); err != nil {
		t.Fatal(err)
	}
	if !h.policyGone() {
		t.Fatal("a policy whose target is gone is kept by its finalizer")
	}
	if diff := cmp.Diff([]string{"Warning RanksNotReleased"}, h.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

var errFluxDown = errors.New("fake: the lead broker does not answer")

// failingFlux is a fake Flux: the simulated cluster, except that undrain always fails, as
// when the lead broker stopped answering.
type failingFlux struct{ *simulated.Cluster }

func (failingFlux) Undrain(context.Context, flux.RankSet) error { return errFluxDown }

// failingSources serves failingFlux.
type failingSources struct{ sim *simulated.Cluster }

func (f failingSources) NewSource(context.Context, *v1alpha1.ScalingPolicy, *target.Info) (source.Source, error) {
	return source.Source{Flux: failingFlux{f.sim}}, nil
}

func newFailingSources(sim *simulated.Cluster) *source.Cache {
	return source.NewCache(failingSources{sim})
}

// While Flux fails, the finalizer retries; past releaseGiveUp it lets go with an event.
func TestDeletingAPolicyWhileFluxFailsRetriesThenLetsGo(t *testing.T) {
	h, sim := drainingHarness(t, makeScalingPolicy("p", ns).Target(jobRef("work")).Obj())
	h.r.sources = newFailingSources(sim)
	h.deletePolicy()
	var sp v1alpha1.ScalingPolicy
	if err := h.client.Get(context.Background(), h.key, &sp); err != nil {
		t.Fatal(err)
	}
	h.clock.SetTime(sp.DeletionTimestamp.Time)
	res, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key})
	if err != nil || res.RequeueAfter != releaseRetry || h.policyGone() {
		t.Fatalf("first try: Reconcile = %+v, %v, gone %v; want a retry after %v", res, err, h.policyGone(), releaseRetry)
	}
	h.clock.Step(releaseGiveUp)
	if _, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key}); err != nil {
		t.Fatal(err)
	}
	if !h.policyGone() {
		t.Fatal("the finalizer kept the policy past releaseGiveUp")
	}
	if diff := cmp.Diff([]string{"Warning RanksNotReleased"}, h.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
