package autoscaler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/policy"
)

func newSimCluster(t *testing.T, size int32) *simulated.Cluster {
	t.Helper()
	sim, err := simulated.New(simulated.Options{Start: t0, MaxSize: 6, InitialSize: size})
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

func TestReconcileDryRunChangesNothing(t *testing.T) {
	sim := newSimCluster(t, 4)
	h := newHarness(t, makeScalingPolicy("p", ns).Target(jobRef("work")).DryRun().Obj(), sim,
		makeJob("work", ns).Indexed().Size(4).Obj())
	// Idle: a real run would drain ranks 1-3.
	h.step(time.Second)
	if got := h.jobSize(); got != 4 {
		t.Errorf("dry run changed the Job to %d", got)
	}
	if st := sim.Stats(); st.Drains != 0 {
		t.Errorf("dry run drained %d times", st.Drains)
	}
	st := h.status()
	if st.DrainingRanks != "" || st.DesiredSize != 1 {
		t.Errorf("status drainingRanks %q desiredSize %d, want none and 1", st.DrainingRanks, st.DesiredSize)
	}
	if got := h.condition(v1alpha1.ConditionAbleToScale); got != "True/DryRun" {
		t.Errorf("AbleToScale %q, want True/DryRun", got)
	}
	if diff := cmp.Diff([]string(nil), h.events()); diff != "" {
		t.Errorf("dry-run events (-want +got):\n%s", diff)
	}
}

func TestReconcileTargetProblemIsReportedOnceAndRequeued(t *testing.T) {
	h := newHarness(t, makeScalingPolicy("p", ns).Target(jobRef("work")).Obj(), newSimCluster(t, 2),
		makeJob("work", ns).Size(2).Obj()) // not Indexed
	for range 2 {
		res, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key})
		if err != nil || res.RequeueAfter != 10*time.Second {
			t.Fatalf("Reconcile = %+v, %v; want a requeue after the 10 s poll and no error", res, err)
		}
	}
	if got := h.condition(v1alpha1.ConditionAbleToScale); got != "False/TargetNotIndexed" {
		t.Errorf("AbleToScale %q, want False/TargetNotIndexed", got)
	}
	if diff := cmp.Diff([]string{"Warning TargetProblem"}, h.events()); diff != "" {
		t.Errorf("events over two reconciles (-want +got):\n%s", diff)
	}
}

// failingWriter fails every patch, as an API server refusing the Job would.
type failingWriter struct{ client.Writer }

func (failingWriter) Patch(context.Context, client.Object, client.Patch, ...client.PatchOption) error {
	return errors.New("admission webhook denied the request")
}

func TestReconcileFailedScaleKeepsHistoryWithoutIt(t *testing.T) {
	sim := newSimCluster(t, 2)
	h := newHarness(t, makeScalingPolicy("p", ns).Target(jobRef("work")).Obj(), sim, makeJob("work", ns).Indexed().Size(2).Obj())
	h.r.targets.Writer = failingWriter{h.client}
	submit(t, sim, 1, 6, time.Hour)
	h.step(time.Second)
	st := h.status()
	if len(st.History.ScaleEvents) != 0 || st.LastScaleTime != nil {
		t.Errorf("history after a failed scale: %+v, lastScaleTime %v; want no scale recorded", st.History.ScaleEvents, st.LastScaleTime)
	}
	if got := h.condition(v1alpha1.ConditionAbleToScale); got != "False/FailedUpdateScale" {
		t.Errorf("AbleToScale %q, want False/FailedUpdateScale", got)
	}
	if diff := cmp.Diff([]string{"Warning FailedRescale"}, h.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// A hint survives a restart through status: the new store is seeded, the hint keeps the
// size up, and it is not announced again.
func TestReconcileHintSurvivesRestart(t *testing.T) {
	sim := newSimCluster(t, 2)
	h := newHarness(t, makeScalingPolicy("p", ns).Target(jobRef("work")).Obj(), sim, makeJob("work", ns).Indexed().Size(2).Obj())
	hint := policy.Hint{ID: "h1", Subject: "system:serviceaccount:team:app", Size: 4, Mode: v1alpha1.HintFloor, Expires: t0.Add(time.Hour)}
	if err := h.hints.Put(h.key, hint); err != nil {
		t.Fatal(err)
	}
	h.step(time.Second)
	if got := h.jobSize(); got != 4 {
		t.Fatalf("Job size %d after a Floor hint of 4", got)
	}
	if diff := cmp.Diff([]string{"Normal SuccessfulRescale", "Normal HintAccepted"}, h.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	h.restart()
	h.step(time.Second)
	h.step(time.Second)
	if got := h.jobSize(); got != 4 {
		t.Errorf("after a restart the hint was lost: Job size %d, want 4", got)
	}
	if diff := cmp.Diff([]string(nil), h.events()); diff != "" {
		t.Errorf("events after restart (-want +got):\n%s", diff)
	}
}

func TestReconcileDeletedPolicyForgetsItsSeries(t *testing.T) {
	sim := newSimCluster(t, 2)
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(2).Obj())
	h.step(time.Second)
	if n := len(gatherPolicySeries(t, h)); n == 0 {
		t.Fatal("no series for the policy after a reconcile")
	}
	if err := h.client.Delete(context.Background(), sp); err != nil {
		t.Fatal(err)
	}
	if _, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key}); err != nil {
		t.Fatal(err)
	}
	if got := gatherPolicySeries(t, h); len(got) != 0 {
		t.Errorf("series left after deletion: %v", got)
	}
	if _, ok := h.r.memory.Get(h.key); ok {
		t.Error("last good Flux state kept after deletion")
	}
}

// gatherPolicySeries names the series labelled policy="p".
func gatherPolicySeries(t *testing.T, h *harness) []string {
	t.Helper()
	families, err := h.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "policy" && l.GetValue() == "p" {
					out = append(out, f.GetName())
				}
			}
		}
	}
	return out
}

func TestNotApplied(t *testing.T) {
	mc := func(current, live int32) *target.Info {
		return &target.Info{Kind: target.KindMiniCluster, Name: "flux-sample", Current: current, Live: live, Max: 6}
	}
	tests := []struct {
		name      string
		tgt       *target.Info
		lastScale time.Time
		want      bool
		recheck   time.Duration
	}{
		{name: "caught up", tgt: mc(4, 4), lastScale: t0},
		{name: "job lagging just after the write", tgt: mc(4, 2), lastScale: t0.Add(-time.Second), recheck: 14 * time.Second},
		{name: "job lagging past the grace", tgt: mc(4, 2), lastScale: t0.Add(-time.Minute), want: true},
		{name: "spec refused, never scaled by us", tgt: mc(12, 3), want: true},
		{name: "job not created yet", tgt: mc(2, -1)},
		{name: "a job target is always applied", tgt: &target.Info{Kind: target.KindIndexedJob, Current: 4, Live: 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, recheck := notApplied(tc.tgt, tc.lastScale, t0, 15*time.Second)
			if got != tc.want || recheck != tc.recheck {
				t.Errorf("notApplied = %v, %s; want %v, %s", got, recheck, tc.want, tc.recheck)
			}
		})
	}
}

// conflictingWriter fails every patch with a conflict, as when the Job controller has just
// written the Job's status.
type conflictingWriter struct{ client.Writer }

func (conflictingWriter) Patch(context.Context, client.Object, client.Patch, ...client.PatchOption) error {
	return apierrors.NewConflict(schema.GroupResource{Group: "batch", Resource: "jobs"}, "work", errors.New("the object has been modified"))
}

// A conflict on the target write is retried after conflictRetry, not after the poll.
func TestReconcileRetriesAScaleConflictSoon(t *testing.T) {
	sim := newSimCluster(t, 2)
	h := newHarness(t, makeScalingPolicy("p", ns).Target(jobRef("work")).Obj(), sim, makeJob("work", ns).Indexed().Size(2).Obj())
	h.r.targets.Writer = conflictingWriter{h.client}
	submit(t, sim, 1, 6, time.Hour)
	h.clock.Step(time.Second)
	if err := sim.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	res, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key})
	if err != nil || res.RequeueAfter != conflictRetry {
		t.Errorf("Reconcile = %+v, %v; want a requeue after %v and no error", res, err, conflictRetry)
	}
}
