package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// jobPolicy scales the bare Indexed Job named target between minSize and maxSize, polling
// every second, with a 2 s scale-down window so idle capacity goes quickly.
func jobPolicy(name, target string, minSize, maxSize int32) *v1alpha1.ScalingPolicy {
	return &v1alpha1.ScalingPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace},
		Spec: v1alpha1.ScalingPolicySpec{
			TargetRef:           v1alpha1.TargetRef{APIVersion: "batch/v1", Kind: "Job", Name: target},
			MinSize:             minSize,
			MaxSize:             maxSize,
			PollIntervalSeconds: 1,
			Behavior: &v1alpha1.ScalingBehavior{
				ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr.To[int32](2)},
			},
		},
	}
}

// The Job grows 2 -> 6 on queue demand, its pods follow, and when the queue drains it
// shrinks back to minSize 2 after the 2 s window, draining the idle ranks first; a hint then
// sets a floor of 3 at once. No simulated Flux job is killed.
func TestIndexedJobFollowsQueue(t *testing.T) {
	e := startEnv(t)
	sim := ctrltest.NewSim(t, 6)
	createIndexedJob(t, e, "work", 2)
	startMirror(t, e, sim, "work")
	rc := startController(t, e, simSources{"work-policy": sim})
	if err := e.Client.Create(t.Context(), jobPolicy("work-policy", "work", 2, 6)); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, time.Minute, "2 Flux ranks up (pods Running)", func(context.Context) (bool, string) {
		return sim.Size() == 2, fmt.Sprintf("size %d", sim.Size())
	})
	ctrltest.Eventually(t, 30*time.Second, "the first decision", func(ctx context.Context) (bool, string) {
		return conditionIs(ctx, e, "work-policy", v1alpha1.ConditionScalingActive, "True/ValidMetricFound")
	})

	// Six one-node jobs: two run, four wait.
	queued := time.Now()
	ctrltest.Submit(t, sim, 1, 6, 6*time.Second)
	ctrltest.Eventually(t, 30*time.Second, "the Job to grow to 6", func(ctx context.Context) (bool, string) {
		p, msg := jobParallelism(ctx, e, "work")
		return p == 6, fmt.Sprintf("parallelism %d %s", p, msg)
	})
	t.Logf("MEASURED queue change -> Job parallelism 6 written and seen: %s", time.Since(queued).Round(time.Millisecond))
	ctrltest.Eventually(t, time.Minute, "6 pods Running and Flux ranks up", func(ctx context.Context) (bool, string) {
		n, _, err := runningPods(ctx, e, "work")
		return n == 6 && sim.Size() == 6, fmt.Sprintf("running %d (%v), sim size %d", n, err, sim.Size())
	})
	t.Logf("MEASURED queue change -> 6 pods Running: %s", time.Since(queued).Round(time.Millisecond))
	st, err := policyStatus(t.Context(), e, "work-policy")
	if err != nil {
		t.Fatal(err)
	}
	if st.CurrentSize != 6 || st.DesiredSize != 6 || st.LastScaleTime == nil {
		t.Errorf("status after growth: currentSize %d desiredSize %d lastScaleTime %v", st.CurrentSize, st.DesiredSize, st.LastScaleTime)
	}
	// Events are recorded asynchronously and may trail the growth by a moment.
	ctrltest.Eventually(t, 30*time.Second, `one SuccessfulRescale "New size: 6; reason: QueueDepth recommended 6 ..."`,
		func(ctx context.Context) (bool, string) {
			evs, err := policyEvents(ctx, e, "work-policy")
			if err != nil {
				return false, err.Error()
			}
			return len(evs) == 1 && evs[0].Reason == v1alpha1.EventSuccessfulRescale &&
				strings.HasPrefix(evs[0].Note, "New size: 6; reason: QueueDepth recommended 6"), describe(evs)
		})

	// The jobs end; after the scale-down window the idle ranks are drained and removed.
	ctrltest.Eventually(t, time.Minute, "the Job to shrink to 2", func(ctx context.Context) (bool, string) {
		p, msg := jobParallelism(ctx, e, "work")
		return p == 2, fmt.Sprintf("parallelism %d %s", p, msg)
	})
	ctrltest.Eventually(t, time.Minute, "2 pods Running", func(ctx context.Context) (bool, string) {
		n, _, err := runningPods(ctx, e, "work")
		return n == 2, fmt.Sprintf("running %d (%v)", n, err)
	})
	if got := sim.Stats().Killed; got != 0 {
		t.Errorf("simulated Flux jobs killed by the shrink: %d, want 0", got)
	}
	// DrainComplete until the next decision, then NotDraining.
	if ok, msg := conditionIs(t.Context(), e, "work-policy", v1alpha1.ConditionDraining, "False/DrainComplete"); !ok &&
		!strings.HasPrefix(msg, "False/NotDraining") {
		t.Errorf("Draining after the shrink: %s", msg)
	}

	// Events: one per transition, none repeated by later polls. The shrink takes one step
	// or more, as recommendations leave the 2 s window (HPA semantics). Ranks the
	// recommendations no longer need are drained early, one DrainStarted each time more of
	// them are, and a DrainCompleted comes with each rescale that gives drained ranks back
	// (several drains may end in one), so there are at least as many DrainStarted as
	// DrainCompleted, and one rescale per completion besides the growth.
	// Events are recorded asynchronously and may trail the shrink by a moment.
	var settled map[string]int
	var seen string
	ctrltest.Eventually(t, 30*time.Second, "each drain's DrainStarted and DrainCompleted, and at least one rescale per drain",
		func(ctx context.Context) (bool, string) {
			evs, err := policyEvents(ctx, e, "work-policy")
			if err != nil {
				return false, err.Error() + "; events before: " + seen
			}
			seen = describe(evs)
			settled = eventCounts(evs)
			drains, rescales := settled[v1alpha1.EventDrainCompleted], settled[v1alpha1.EventSuccessfulRescale]
			others := len(settled) - 3
			return drains >= 1 && settled[v1alpha1.EventDrainStarted] >= drains && rescales == 1+drains && others == 0, describe(evs)
		})
	decisions := rc.Counter(t, "fluxscale_decisions_total", "work-policy")
	ctrltest.Eventually(t, 20*time.Second, "three more decisions", func(context.Context) (bool, string) {
		n := rc.Counter(t, "fluxscale_decisions_total", "work-policy")
		return n >= decisions+3, fmt.Sprintf("%d decisions", n)
	})
	evs, err := policyEvents(t.Context(), e, "work-policy")
	if err != nil {
		t.Fatal(err)
	}
	if got := eventCounts(evs); fmt.Sprint(got) != fmt.Sprint(settled) {
		t.Errorf("events after three more decisions %v, want them unchanged %v:\n%s", got, settled, describe(evs))
	}

	// A Floor hint of 3 acts at once, bypassing the windows.
	hinted := time.Now()
	key := types.NamespacedName{Namespace: testNamespace, Name: "work-policy"}
	if err := rc.hints.Put(key, policy.Hint{ID: "h1", Subject: "system:serviceaccount:team:app", Size: 3,
		Mode: v1alpha1.HintFloor, Expires: time.Now().Add(time.Minute), Reason: "next phase"}); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, 30*time.Second, "the hint to grow the Job to 3", func(ctx context.Context) (bool, string) {
		p, msg := jobParallelism(ctx, e, "work")
		return p == 3, fmt.Sprintf("parallelism %d %s", p, msg)
	})
	t.Logf("MEASURED hint posted -> Job parallelism 3 written and seen: %s", time.Since(hinted).Round(time.Millisecond))
	ctrltest.Eventually(t, 10*time.Second, "HintAccepted and activeHints", func(ctx context.Context) (bool, string) {
		st, err := policyStatus(ctx, e, "work-policy")
		if err != nil {
			return false, err.Error()
		}
		evs, err := policyEvents(ctx, e, "work-policy")
		if err != nil {
			return false, err.Error()
		}
		n := eventCounts(evs)[v1alpha1.EventHintAccepted]
		return len(st.ActiveHints) == 1 && st.ActiveHints[0].ID == "h1" && n == 1, fmt.Sprintf("activeHints %+v, %d HintAccepted", st.ActiveHints, n)
	})
	count, sum := rc.Metric(t, "fluxscale_trigger_to_scale_seconds", "work-policy")
	if count == 0 {
		t.Error("no trigger-to-scale latency observed")
	} else {
		t.Logf("MEASURED trigger_to_scale_seconds: %d observations, mean %.1f ms", count, 1000*sum/float64(count))
	}
}
