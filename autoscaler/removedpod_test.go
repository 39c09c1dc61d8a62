package autoscaler

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// jobPod is a pod of Job work holding completion index idx; a finalizer keeps it while it
// is deleted, as a terminating pod stays.
func jobPod(idx int32, uid string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: fmt.Sprintf("work-%d-%s", idx, uid), Namespace: ns, UID: types.UID(uid), Finalizers: []string{"test/terminating"},
		Labels: map[string]string{batchv1.JobNameLabel: "work", batchv1.JobCompletionIndexAnnotation: strconv.Itoa(int(idx))},
	}}
}

// A shrink and a regrow between two Flux reads: Flux never shows the removed brokers
// offline (new ones came up on the same ranks), so the ranks used to stay drained for good.
// Tied to the pods that ran their old brokers, they are given back once those pods are gone.
func TestRemovedRankIsGivenBackOnceItsPodIsGone(t *testing.T) {
	sim := newSimCluster(t, 4)
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	objs := []client.Object{makeJob("work", ns).Indexed().Size(4).Obj()}
	for i := range int32(4) {
		objs = append(objs, jobPod(i, "old"+strconv.Itoa(int(i))))
	}
	h := newHarness(t, sp, sim, objs...)
	ctx := context.Background()
	// reconcile without mirroring the Job into the model: its ranks stay online, as when
	// new brokers come up on the same ranks before Flux is read again.
	reconcileOnly := func(d time.Duration) {
		t.Helper()
		h.clock.Step(d)
		if err := sim.Advance(d); err != nil {
			t.Fatal(err)
		}
		if _, err := h.r.Reconcile(ctx, reconcile.Request{NamespacedName: h.key}); err != nil {
			t.Fatal(err)
		}
	}
	submit(t, sim, 1, 3, 2*time.Minute)
	submit(t, sim, 4, 1, 8*time.Minute)
	reconcileOnly(time.Second)
	reconcileOnly(3 * time.Minute) // ranks 1-2 idle, 3 busy: drain 1-3
	reconcileOnly(6 * time.Minute) // rank 3 done: shrink to 1
	if got := h.jobSize(); got != 1 {
		t.Fatalf("setup: Job size %d, want 1", got)
	}
	// The Job controller deletes pods 1-3; they terminate.
	for i := int32(1); i < 4; i++ {
		if err := h.client.Delete(ctx, jobPod(i, "old"+strconv.Itoa(int(i)))); err != nil {
			t.Fatal(err)
		}
	}
	submit(t, sim, 5, 3, time.Hour)
	reconcileOnly(time.Second) // grow to 3; the old brokers of 1-2 may still run: kept drained
	if got := h.jobSize(); got != 3 {
		t.Fatalf("after new demand: Job size %d, want 3", got)
	}
	if got := h.status().DrainingRanks; got != "1-3" {
		t.Errorf("drainingRanks %q while the old pods terminate, want 1-3", got)
	}
	// The old pods finish terminating; new pods run ranks 1-2.
	for i := int32(1); i < 4; i++ {
		pod := &corev1.Pod{}
		if err := h.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: fmt.Sprintf("work-%d-old%d", i, i)}, pod); err != nil {
			t.Fatal(err)
		}
		pod.Finalizers = nil
		if err := h.client.Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
	}
	for i := int32(1); i < 3; i++ {
		if err := h.client.Create(ctx, jobPod(i, "new"+strconv.Itoa(int(i)))); err != nil {
			t.Fatal(err)
		}
	}
	reconcileOnly(time.Second)
	reconcileOnly(time.Second)
	if got := h.status().DrainingRanks; got != "3" {
		t.Errorf("drainingRanks %q once the old pods are gone, want 3 (1-2 given back)", got)
	}
	if got := drainedRanks(t, sim); len(got) != 1 || got[0] != 3 {
		t.Errorf("Flux has ranks %v drained, want only 3", got)
	}
}
