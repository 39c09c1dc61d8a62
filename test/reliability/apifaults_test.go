package reliability

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// API faults on one control plane, one controller: a concurrent writer of the target and a
// deleted target. Each case has its own namespace.
func TestAPIFaults(t *testing.T) {
	e := startEnv(t)
	srcs := newSources()
	rc := startController(t, e, srcs, controllerOptions{})
	t.Run("concurrent-writer", func(t *testing.T) {
		t.Parallel()
		testConcurrentWriter(t, e, srcs, rc)
	})
	t.Run("deleted-target", func(t *testing.T) {
		t.Parallel()
		testDeletedTarget(t, e, srcs)
	})
	t.Run("deleted-crd", func(t *testing.T) {
		t.Parallel()
		testDeletedCRD(t, e, srcs)
	})
	select {
	case err := <-rc.Done():
		t.Fatalf("the controller stopped during the API faults: %v", err)
	default:
	}
}

// Another writer updates the Job every 20 ms (a label, so its resourceVersion
// keeps moving and the controller's optimistic-lock patches conflict). The controller still
// converges 1 -> 4 -> 1 with exactly one size write per decided change: the Job's sizes,
// watched, are [1 4 1] and there are two SuccessfulRescale events. No job is killed.
func testConcurrentWriter(t *testing.T, e *env, srcs *sources, rc *runningController) {
	ns := e.namespace(t, "api-conflict")
	sim := ctrltest.NewSim(t, 4)
	srcs.add("p-conflict", sim)
	createIndexedJob(t, e, ns, "work", 1)
	startMirror(t, e, sim, ns, "work")
	sizes := recordSizes(t, e, ns, "work", func() bool { return false })
	writes, conflicts := startJobWriter(t, e, ns, "work")
	if err := e.Client.Create(t.Context(), jobPolicy(ns, "p-conflict", "work", 4)); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, time.Minute, "1 Flux rank up", func(context.Context) (bool, string) {
		return sim.Size() == 1, fmt.Sprintf("size %d", sim.Size())
	})
	ctrltest.Submit(t, sim, 1, 4, 10*time.Second)
	queued := time.Now()
	ctrltest.Eventually(t, 40*time.Second, "growth to 4", func(ctx context.Context) (bool, string) {
		n, msg := jobParallelism(ctx, e, ns, "work")
		return n == 4, fmt.Sprintf("parallelism %d %s; writer %d writes, %d conflicts; controller errors %d",
			n, msg, writes(), conflicts(), rc.Counter(t, "fluxscale_errors_total", "p-conflict"))
	})
	t.Logf("MEASURED queue -> parallelism 4 under the concurrent writer: %s", time.Since(queued).Round(time.Millisecond))
	ctrltest.Eventually(t, 40*time.Second, "every job done and the shrink to 1", func(ctx context.Context) (bool, string) {
		n, msg := jobParallelism(ctx, e, ns, "work")
		return n == 1 && sim.Stats().Finished == 4, fmt.Sprintf("parallelism %d %s; sim %+v", n, msg, sim.Stats())
	})
	t.Logf("MEASURED concurrent writer: %d label writes, %d of them conflicted; controller target errors %d",
		writes(), conflicts(), rc.Counter(t, "fluxscale_errors_total", "p-conflict"))
	// Events are written asynchronously: wait for both, then for three more decisions, and
	// check no write was repeated meanwhile.
	ctrltest.Eventually(t, 20*time.Second, "two SuccessfulRescale events", func(ctx context.Context) (bool, string) {
		counts, err := eventCounts(ctx, e, ns, "p-conflict")
		return err == nil && counts[v1alpha1.EventSuccessfulRescale] >= 2, fmt.Sprintf("%v %v", counts, err)
	})
	decisions := rc.Counter(t, "fluxscale_decisions_total", "p-conflict")
	ctrltest.Eventually(t, 20*time.Second, "three more decisions", func(context.Context) (bool, string) {
		n := rc.Counter(t, "fluxscale_decisions_total", "p-conflict")
		return n >= decisions+3, fmt.Sprintf("%d decisions", n)
	})
	counts, err := eventCounts(t.Context(), e, ns, "p-conflict")
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[v1alpha1.EventSuccessfulRescale]; got != 2 {
		t.Errorf("SuccessfulRescale events %d (all: %v), want 2: one per size change", got, counts)
	}
	if got := fmt.Sprint(sizes.sizes()); got != "[1 4 1]" {
		t.Errorf("sizes the Job had after three more decisions: %s, want [1 4 1]", got)
	}
	if k := sim.Stats().Killed; k != 0 {
		t.Errorf("%d simulated jobs killed, want 0", k)
	}
}

// startJobWriter updates a label of the Job every 20 ms (a busy operator; at every 5 ms the
// controller's read-then-patch lost the race for ~10 s at a time on this loaded machine) until the test ends, counting its
// writes and its own conflicts.
func startJobWriter(t *testing.T, e *env, ns, name string) (writes, conflicts func() int) {
	t.Helper()
	// Its own client, so its client-side rate limiter is its own: sharing the test's, a
	// writer at 100 requests/s took the whole budget and the test's checks timed out
	// waiting for it under load.
	cfg := rest.CopyConfig(e.Config)
	cfg.QPS, cfg.Burst, cfg.RateLimiter = 500, 500, nil
	writer, err := client.New(cfg, client.Options{Scheme: e.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var w, c int
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var j batchv1.Job
			if err := writer.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &j); err != nil {
				continue
			}
			if j.Labels == nil {
				j.Labels = map[string]string{}
			}
			j.Labels["writer"] = strconv.Itoa(i)
			err := writer.Update(ctx, &j)
			mu.Lock()
			w++
			if apierrors.IsConflict(err) {
				c++
			}
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	count := func(p *int) func() int {
		return func() int { mu.Lock(); defer mu.Unlock(); return *p }
	}
	return count(&w), count(&c)
}

// The Job is deleted under a running policy: AbleToScale False/TargetNotFound, no panic.
// A new Job of the same name is picked up and scaled.
func testDeletedTarget(t *testing.T, e *env, srcs *sources) {
	ns := e.namespace(t, "api-deleted")
	sim := ctrltest.NewSim(t, 4)
	srcs.add("p-deleted", sim)
	createIndexedJob(t, e, ns, "work", 1)
	startMirror(t, e, sim, ns, "work")
	if err := e.Client.Create(t.Context(), jobPolicy(ns, "p-deleted", "work", 4)); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, 40*time.Second, "the first decision", func(ctx context.Context) (bool, string) {
		return conditionIs(ctx, e, ns, "p-deleted", v1alpha1.ConditionScalingActive, "True/"+v1alpha1.ReasonValidMetrics)
	})
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "work"}}
	if err := e.Client.Delete(t.Context(), job, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, 30*time.Second, "AbleToScale False/TargetNotFound", func(ctx context.Context) (bool, string) {
		return conditionIs(ctx, e, ns, "p-deleted", v1alpha1.ConditionAbleToScale, "False/"+v1alpha1.ReasonTargetNotFound)
	})
	ctrltest.Eventually(t, 30*time.Second, "the Job gone", func(ctx context.Context) (bool, string) {
		err := e.Client.Get(ctx, client.ObjectKeyFromObject(job), &batchv1.Job{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	ctrltest.Eventually(t, 30*time.Second, "the Job's pods gone", func(ctx context.Context) (bool, string) {
		n, err := podCount(ctx, e, ns, "work")
		return err == nil && n == 0, fmt.Sprintf("%d pods (%v)", n, err)
	})
	createIndexedJob(t, e, ns, "work", 1)
	// Work only once the new Job's rank 0 is up: a job placed on the old rank 0 before the
	// mirror sees the new Job's pod would die with the old pod.
	ctrltest.Eventually(t, 30*time.Second, "the new Job's pod Running and 1 Flux rank up", func(ctx context.Context) (bool, string) {
		n, err := runningPods(ctx, e, ns, "work")
		return err == nil && n == 1 && sim.Size() == 1, fmt.Sprintf("%d running (%v), sim size %d", n, err, sim.Size())
	})
	// The jobs outlast the wait: with short ones, a loaded machine saw the Job grow to 3
	// and shrink back to 1 between two polls (CI, 2026-12-03).
	ctrltest.Submit(t, sim, 1, 3, 5*time.Minute)
	ctrltest.Eventually(t, 40*time.Second, "the new Job grown to 3 and AbleToScale True", func(ctx context.Context) (bool, string) {
		n, msg := jobParallelism(ctx, e, ns, "work")
		// SucceededRescale, or ReadyForNewScale once a later pass moved the condition on:
		// either says the new Job is a target again.
		ok, cmsg := conditionIs(ctx, e, ns, "p-deleted", v1alpha1.ConditionAbleToScale, "True/"+v1alpha1.ReasonSucceededRescale)
		if again, _ := conditionIs(ctx, e, ns, "p-deleted", v1alpha1.ConditionAbleToScale, "True/"+v1alpha1.ReasonReadyForNewScale); again {
			ok = true
		}
		_, lmsg := conditionIs(ctx, e, ns, "p-deleted", v1alpha1.ConditionScalingLimited, "")
		st, _ := policyStatus(ctx, e, ns, "p-deleted")
		return n == 3 && ok, fmt.Sprintf("parallelism %d %s; %s; limited %s; recommendations %+v; sim %+v", n, msg, cmsg, lmsg, st.Recommendations, sim.Stats())
	})
	if k := sim.Stats().Killed; k != 0 {
		t.Errorf("%d simulated jobs killed, want 0", k)
	}
}
