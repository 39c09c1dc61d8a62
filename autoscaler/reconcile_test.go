package autoscaler

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	scalefake "k8s.io/client-go/scale/fake"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// simSources serves one simulated Flux cluster per policy name, and no Flux for flux.source
// None.
type simSources struct{ clusters map[string]*simulated.Cluster }

func (s simSources) NewSource(_ context.Context, sp *v1alpha1.ScalingPolicy, _ *target.Info) (source.Source, error) {
	if sp.Spec.Flux.Source == v1alpha1.SourceNone {
		return source.Source{}, nil
	}
	c := s.clusters[sp.Name]
	return source.Source{Flux: c, Watcher: c}, nil
}

// harness is a Reconciler over controller-runtime's fake client, a simulated Flux cluster and
// a fake clock: the whole reconcile path without an API server.
type harness struct {
	t        *testing.T
	client   client.Client
	clock    *clocktesting.FakeClock
	sim      *simulated.Cluster
	recorder *events.FakeRecorder
	hints    *hints.Store
	registry *prometheus.Registry
	r        *Reconciler
	key      types.NamespacedName
	// statusWrites counts writes to the policy's status subresource; failJobPatches makes
	// that many Job patches fail with a conflict, as another writer's update would.
	statusWrites   int
	failJobPatches int
}

func newHarness(t *testing.T, sp *v1alpha1.ScalingPolicy, sim *simulated.Cluster, objs ...client.Object) *harness {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&v1alpha1.ScalingPolicy{}).
		WithIndex(&v1alpha1.ScalingPolicy{}, source.TargetIndex, source.TargetIndexValues).
		WithObjects(append(objs, sp)...)
	h := &harness{t: t, clock: clocktesting.NewFakeClock(t0), sim: sim, key: client.ObjectKeyFromObject(sp)}
	h.client = c.WithInterceptorFuncs(interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if _, ok := obj.(*batchv1.Job); ok && h.failJobPatches > 0 {
				h.failJobPatches--
				return apierrors.NewConflict(batchv1.Resource("jobs"), obj.GetName(), errors.New("the object has been modified"))
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if _, ok := obj.(*v1alpha1.ScalingPolicy); ok && sub == "status" {
				h.statusWrites++
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	}).Build()
	h.restart()
	return h
}

// restart replaces the Reconciler by a new one, as a controller restart does: nothing in
// memory survives, only what the API server holds.
func (h *harness) restart() {
	h.registry = prometheus.NewRegistry()
	m, err := controllermetrics.New(h.registry)
	if err != nil {
		h.t.Fatal(err)
	}
	h.recorder = events.NewFakeRecorder(100)
	h.hints = hints.NewStore(h.clock, hints.StoreOptions{})
	targets := &target.Resolver{Reader: h.client, Writer: h.client, Scales: &scalefake.FakeScaleClient{}, Mapper: jobMapper()}
	opts := Options{Sources: simSources{clusters: map[string]*simulated.Cluster{h.key.Name: h.sim}}, Metrics: m, Clock: h.clock, Hints: h.hints}
	h.r = newReconciler(h.client, h.client, targets, h.recorder, make(chan event.GenericEvent, 10), opts)
}

// step moves both clocks by d, then reconciles and mirrors the Job's size into the model
// (what the Job controller and kubelets do in a real cluster).
func (h *harness) step(d time.Duration) {
	h.t.Helper()
	h.clock.Step(d)
	if err := h.sim.Advance(d); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key}); err != nil {
		h.t.Fatalf("Reconcile: %v", err)
	}
	if err := h.sim.Resize(h.jobSize()); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) jobSize() int32 {
	h.t.Helper()
	var job batchv1.Job
	if err := h.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "work"}, &job); err != nil {
		h.t.Fatal(err)
	}
	if *job.Spec.Parallelism != *job.Spec.Completions {
		h.t.Fatalf("Job parallelism %d != completions %d", *job.Spec.Parallelism, *job.Spec.Completions)
	}
	return *job.Spec.Parallelism
}

func (h *harness) status() v1alpha1.ScalingPolicyStatus {
	h.t.Helper()
	var sp v1alpha1.ScalingPolicy
	if err := h.client.Get(context.Background(), h.key, &sp); err != nil {
		h.t.Fatal(err)
	}
	return sp.Status
}

func (h *harness) condition(typ string) string {
	st := h.status()
	c := meta.FindStatusCondition(st.Conditions, typ)
	if c == nil {
		return ""
	}
	return string(c.Status) + "/" + c.Reason
}

// events drains the recorded events as "Type Reason".
func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			f := strings.SplitN(e, " ", 3)
			out = append(out, f[0]+" "+f[1])
		default:
			return out
		}
	}
}

func submit(t *testing.T, sim *simulated.Cluster, first uint64, n int, runtime time.Duration) {
	t.Helper()
	for i := range n {
		if err := sim.Submit(simulated.Job{ID: first + uint64(i), NNodes: 1, Runtime: runtime}); err != nil {
			t.Fatal(err)
		}
	}
}

// A queue grows the Job, a busy top rank is drained (not removed) until its job ends, a
// restart in the middle of the drain finishes the shrink, and new demand gives the drained
// ranks back. No simulated job is killed.
func TestReconcileGrowDrainRestartShrinkRegrow(t *testing.T) {
	sim, err := simulated.New(simulated.Options{Start: t0, MaxSize: 6, InitialSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(2).Obj())

	// Six one-node jobs, the last one long: two run, four wait.
	submit(t, sim, 1, 5, 5*time.Minute)
	submit(t, sim, 6, 1, 20*time.Minute)
	h.step(time.Second)
	if got := h.jobSize(); got != 6 {
		t.Fatalf("after queue demand: Job size %d, want 6", got)
	}
	if diff := cmp.Diff([]string{"Normal SuccessfulRescale"}, h.events()); diff != "" {
		t.Errorf("events after growth (-want +got):\n%s", diff)
	}

	// Everything but the long job on the top rank ends: drain ranks 1-5, rank 5 stays busy.
	h.step(6 * time.Minute)
	if got := h.jobSize(); got != 6 {
		t.Fatalf("while rank 5 is busy: Job size %d, want 6 (drain, not remove)", got)
	}
	if got := h.status().DrainingRanks; got != "1-5" {
		t.Errorf("drainingRanks %q, want 1-5", got)
	}
	if got := h.condition(v1alpha1.ConditionDraining); got != "True/DrainInProgress" {
		t.Errorf("Draining %q, want True/DrainInProgress", got)
	}
	if diff := cmp.Diff([]string{"Normal DrainStarted"}, h.events()); diff != "" {
		t.Errorf("events at drain (-want +got):\n%s", diff)
	}

	// The controller restarts mid-drain: it resumes from status and keeps waiting.
	h.restart()
	h.step(time.Minute)
	if got := h.jobSize(); got != 6 {
		t.Fatalf("after restart, rank 5 still busy: Job size %d, want 6", got)
	}
	if diff := cmp.Diff([]string(nil), h.events()); diff != "" {
		t.Errorf("events while waiting after restart (-want +got):\n%s", diff)
	}

	// The long job ends: the shrink happens.
	h.step(15 * time.Minute)
	if got := h.jobSize(); got != 1 {
		t.Fatalf("after the drain: Job size %d, want 1", got)
	}
	if diff := cmp.Diff([]string{"Normal SuccessfulRescale", "Normal DrainCompleted"}, h.events()); diff != "" {
		t.Errorf("events at shrink (-want +got):\n%s", diff)
	}
	if got := h.condition(v1alpha1.ConditionDraining); got != "False/DrainComplete" {
		t.Errorf("Draining %q, want False/DrainComplete", got)
	}

	// New demand: grow to 4, giving back ranks 1-3 (4-5 stay drained and owned).
	submit(t, sim, 7, 4, 5*time.Minute)
	h.step(time.Second)
	if got := h.jobSize(); got != 4 {
		t.Fatalf("after new demand: Job size %d, want 4", got)
	}
	if got := h.status().DrainingRanks; got != "4-5" {
		t.Errorf("drainingRanks after regrowth %q, want 4-5", got)
	}
	h.step(time.Second)
	if st := sim.Stats(); st.Killed != 0 || st.Started != 10 {
		t.Errorf("simulated jobs: %d killed (want 0), %d started (want 10)", st.Killed, st.Started)
	}
}
