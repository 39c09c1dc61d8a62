package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/harness"
)

// The seed story of DESIGN.md, on the MiniCluster flux-sample (size 2, maxSize 10; the
// STAND-IN operator, not the Flux Operator): the application inside it posts a hint for 4
// through the hint API, with its ServiceAccount token and a Role allowing only that, and 4
// pods run; it posts 3 while a Flux job runs on rank 3, so the top rank is drained and
// removed only once that job has ended, and nothing is killed; its last hint expires and the
// queue-depth policy takes over, bringing the size down to the 2 nodes the running job uses.
func TestSeedStoryHintsThenQueue(t *testing.T) {
	h := harness.StartForTest(t, harness.Options{})
	ctx := t.Context()
	fx := h.StartFluxForTest(t, "flux-sample", harness.FluxOptions{Job: "flux-sample", MaxSize: 10})
	sim := fx.Sim
	// A 2-node job that outlives the story keeps the queue-depth recommendation at 2.
	const steady, short, onRank3 = 1, 2, 3
	submit(t, sim, steady, 1, 2, 100*time.Hour)

	ref, err := h.CreateMiniCluster(ctx, "flux-sample", 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	sp := builders.MakeScalingPolicy("flux-sample", h.Namespace).MinSize(1).MaxSize(10).
		Flux(fx.Source()).QueueDepth(0).PollInterval(2).Behavior(shortScaleDown(3)).Obj()
	if err := h.Client.Create(ctx, sp); err != nil {
		t.Fatal(err)
	}
	waitSize(t, h, fx, ref, "flux-sample", 2)
	app, err := h.NewApp(ctx, "solver", "flux-sample")
	if err != nil {
		t.Fatal(err)
	}
	// The API server's SubjectAccessReview decides: the Role names only flux-sample.
	var refused *harness.HintError
	if _, err := app.ForPolicy("other-policy").PostHint(ctx, 4, time.Minute, ""); !errors.As(err, &refused) || refused.StatusCode != http.StatusForbidden {
		t.Errorf("posting to a policy the Role does not name: %v, want 403 Forbidden", err)
	}

	// "I need 4 nodes for the next 10 minutes."
	hinted := time.Now()
	posted, err := app.PostHint(ctx, 4, 10*time.Minute, "next phase needs 4 nodes")
	if err != nil {
		t.Fatal(err)
	}
	if posted.Size != 4 || posted.Mode != v1alpha1.HintFloor {
		t.Errorf("hint answer %+v, want size 4 mode Floor", posted)
	}
	waitSize(t, h, fx, ref, "flux-sample", 4)
	t.Logf("MEASURED hint 4 posted -> 4 pods Running and Flux ranks up: %s", time.Since(hinted).Round(time.Millisecond))

	// One short job lands on rank 2 and one long job on rank 3 (FCFS takes the lowest free
	// ranks); the short one then ends.
	submit(t, sim, short, 1, 1, 10*time.Second)
	submit(t, sim, onRank3, 1, 1, time.Hour)
	if got := jobRanks(t, sim, onRank3); !slices.Equal(got, flux.NewRankSet(3)) {
		t.Fatalf("the long job runs on ranks %v, want 3", got)
	}
	h.Clock.Jump(10 * time.Second)
	harness.Eventually(t, decideBound, "the short job to end", func(context.Context) (bool, string) {
		st := sim.Stats()
		return st.Finished == 1, fmt.Sprintf("stats %+v", st)
	})

	// "3 is enough now": rank 3 is busy, so it is drained and the MiniCluster stays at 4.
	if _, err := app.PostHint(ctx, 3, 10*time.Minute, "3 nodes are enough"); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, decideBound, "rank 3 draining", func(ctx context.Context) (bool, string) {
		sp, err := h.Policy(ctx, "flux-sample")
		if err != nil {
			return false, err.Error()
		}
		ok, msg := conditionIs(ctx, h, "flux-sample", v1alpha1.ConditionDraining, "True/DrainInProgress")
		return ok && sp.Status.DrainingRanks == "3", fmt.Sprintf("drainingRanks %q; %s", sp.Status.DrainingRanks, msg)
	})
	if size, err := h.TargetSize(ctx, ref); err != nil || size != 4 {
		t.Fatalf("while rank 3 runs a job the MiniCluster's size is %d (%v), want 4: drained, not removed", size, err)
	}
	if got := jobRanks(t, sim, onRank3); !slices.Equal(got, flux.NewRankSet(3)) {
		t.Fatalf("the job on rank 3 is no longer running (ranks %v) before its end", got)
	}
	// The job on rank 3 ends; only then does the MiniCluster shrink.
	ended := time.Now()
	h.Clock.Jump(time.Hour)
	waitSize(t, h, fx, ref, "flux-sample", 3)
	t.Logf("MEASURED job on the draining rank ends -> 3 pods: %s", time.Since(ended).Round(time.Millisecond))
	noneKilled(t, sim)
	if st := sim.Stats(); st.Finished != 2 {
		t.Errorf("finished jobs %d, want 2 (the short one and the one on rank 3)", st.Finished)
	}

	// The application's last word: 3 for eight more seconds. When it expires the queue-depth
	// policy alone decides: the 2 nodes of the running job.
	last, err := app.PostHint(ctx, 3, 8*time.Second, "finishing up")
	if err != nil {
		t.Fatal(err)
	}
	waitSize(t, h, fx, ref, "flux-sample", 2)
	t.Logf("MEASURED hint expiry -> 2 pods: %s", time.Since(last.ExpiresAt).Round(time.Millisecond))
	harness.Eventually(t, decideBound, "no active hint and QueueDepth recommending 2", func(ctx context.Context) (bool, string) {
		sp, err := h.Policy(ctx, "flux-sample")
		if err != nil {
			return false, err.Error()
		}
		st := sp.Status
		ok := len(st.ActiveHints) == 0 && st.DesiredSize == 2 &&
			slices.ContainsFunc(st.Recommendations, func(r v1alpha1.Recommendation) bool { return r.Policy == "QueueDepth" && r.Size == 2 }) &&
			!slices.ContainsFunc(st.Recommendations, func(r v1alpha1.Recommendation) bool { return r.Policy == "Hint" })
		return ok, fmt.Sprintf("activeHints %+v, desired %d, recommendations %+v", st.ActiveHints, st.DesiredSize, st.Recommendations)
	})
	noneKilled(t, sim)
	if got := fx.Mirror.MaxParallelism(); got > 4 {
		t.Errorf("the MiniCluster's Job reached parallelism %d, above the largest size asked for (4)", got)
	}
	waitEvents(t, h, "ScalingPolicy", "flux-sample",
		map[string]int{v1alpha1.EventHintAccepted: 3, v1alpha1.EventSuccessfulRescale: 3})
}
