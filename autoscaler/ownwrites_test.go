package autoscaler

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	scalefake "k8s.io/client-go/scale/fake"
)

// laggingCache is a fake for this package's tests: reads of the policy return the copy
// frozen, as an informer cache does until the watch event of a newer write arrives.
type laggingCache struct {
	client.Client
	frozen *v1alpha1.ScalingPolicy
}

func (l *laggingCache) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if sp, ok := obj.(*v1alpha1.ScalingPolicy); ok && l.frozen != nil {
		l.frozen.DeepCopyInto(sp)
		return nil
	}
	return l.Client.Get(ctx, key, obj, opts...)
}

// A pass that reads a policy older than the controller's own last write starts from that
// write: it neither recomputes from the old status nor writes with its resourceVersion (a
// conflict, then another 200 ms later, until the cache caught up). It writes what a pass on
// an up-to-date cache writes, no more.
func TestAPassOnACacheBehindOurOwnWriteStartsFromIt(t *testing.T) {
	upToDate := passesAfterAScale(t, false)
	behind := passesAfterAScale(t, true)
	if behind != upToDate {
		t.Errorf("%d status writes in 3 passes after a scale on a cache behind our own write, want %d as on an up-to-date cache", behind, upToDate)
	}
}

// passesAfterAScale scales a policy up, then runs 3 more passes, on a cache that stopped
// before the scale when lagging; it returns the status writes of those 3 passes.
func passesAfterAScale(t *testing.T, lagging bool) int {
	t.Helper()
	sim, err := simulated.New(simulated.Options{Start: t0, MaxSize: 6, InitialSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(1).Obj())
	lag := &laggingCache{Client: h.client}
	m, err := controllermetrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	targets := &target.Resolver{Reader: h.client, Writer: h.client, Scales: &scalefake.FakeScaleClient{}, Mapper: jobMapper()}
	opts := Options{Sources: simSources{clusters: map[string]*simulated.Cluster{"p": sim}}, Metrics: m, Clock: h.clock, Hints: h.hints}
	h.r = newReconciler(lag, h.client, targets, h.recorder, make(chan event.GenericEvent, 10), opts)
	h.step(time.Second)
	h.step(time.Second)

	if lagging {
		lag.frozen = &v1alpha1.ScalingPolicy{}
		if err := h.client.Get(context.Background(), h.key, lag.frozen); err != nil {
			t.Fatal(err)
		}
	}
	// Three jobs make the next pass scale up and write its status.
	submit(t, sim, 1, 3, time.Hour)
	h.step(time.Second)
	grown := h.jobSize()
	if grown <= 1 {
		t.Fatalf("Job size %d after 3 pending jobs, want more than 1", grown)
	}
	writes := h.statusWrites
	for i := range 3 {
		h.clock.Step(time.Second)
		res, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key})
		if err != nil {
			t.Fatalf("pass %d (lagging cache: %v): %v", i, lagging, err)
		}
		if res.RequeueAfter == conflictRetry {
			t.Fatalf("pass %d (lagging cache: %v) met a conflict: it wrote with an old resourceVersion", i, lagging)
		}
	}
	if got := h.jobSize(); got != grown {
		t.Errorf("Job size %d, want %d still", got, grown)
	}
	if lagging {
		// Once the cache shows a version we did not replace, a pass starts from it again.
		var cur v1alpha1.ScalingPolicy
		if err := h.client.Get(context.Background(), h.key, &cur); err != nil {
			t.Fatal(err)
		}
		if got := h.r.own.fresher(&cur); got.ResourceVersion != cur.ResourceVersion {
			t.Errorf("a cache that shows the newest version: the pass starts from %s, want it (%s)", got.ResourceVersion, cur.ResourceVersion)
		}
	}
	return h.statusWrites - writes
}
