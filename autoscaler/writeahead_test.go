package autoscaler

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

// statusDownAfterScale is a fake client: the fake API server, except that once a Job has been
// patched every status write fails, as when the API server goes away right after a scale.
type statusDownAfterScale struct {
	client.Client
	patched atomic.Bool
}

func (c *statusDownAfterScale) Patch(ctx context.Context, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
	err := c.Client.Patch(ctx, obj, p, opts...)
	if _, ok := obj.(*v1alpha1.ScalingPolicy); !ok && err == nil {
		c.patched.Store(true)
	}
	return err
}

func (c *statusDownAfterScale) Status() client.SubResourceWriter {
	return statusWriter{c.Client.Status(), &c.patched}
}

type statusWriter struct {
	client.SubResourceWriter
	down *atomic.Bool
}

func (w statusWriter) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if w.down.Load() {
		return errors.New("fake: the API server is unavailable")
	}
	return w.SubResourceWriter.Update(ctx, obj, opts...)
}

// The pass's status, the scale event and lastScaleTime with it, is written before the size,
// so a status write failing after it cannot make the rate limits forget the scale, and a
// pass that scaled has nothing left to write: one status write per scale.
func TestScaleStatusIsWrittenBeforeTheSizeIsWritten(t *testing.T) {
	h, _ := scalePassThrough(t, func(c client.Client) client.Client { return &statusDownAfterScale{Client: c} })
	if _, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key}); err != nil {
		t.Fatalf("Reconcile wrote status after the size (it failed: %v); everything was written ahead", err)
	}
	if got := h.jobSize(); got != 6 {
		t.Fatalf("Job size %d, want 6", got)
	}
	st := h.status()
	want := []v1alpha1.ScaleEvent{{Time: wholeSeconds(h.clock.Now()), From: 2, To: 6}}
	if diff := cmp.Diff(want, st.History.ScaleEvents); diff != "" {
		t.Errorf("scale events in status (-want +got):\n%s", diff)
	}
	if at := wholeSeconds(h.clock.Now()); st.LastScaleTime == nil || !st.LastScaleTime.Equal(&at) {
		t.Errorf("lastScaleTime %v, want %v", st.LastScaleTime, h.clock.Now())
	}
	if st.CurrentSize != 6 || st.DesiredSize != 6 {
		t.Errorf("currentSize %d, desiredSize %d in status, want 6 and 6", st.CurrentSize, st.DesiredSize)
	}
	c2 := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionAbleToScale)
	if c2 == nil || c2.Reason != v1alpha1.ReasonSucceededRescale {
		t.Errorf("AbleToScale %+v, want reason %s", c2, v1alpha1.ReasonSucceededRescale)
	}
}

// A size write that fails after the status was written ahead leaves the status of what did
// happen: no scale event, the old lastScaleTime and size, and the failure in AbleToScale.
func TestFailedSizeWriteTakesBackTheStatusWrittenAhead(t *testing.T) {
	h, before := scalePassThrough(t, func(c client.Client) client.Client { return &jobPatchFails{Client: c} })
	if _, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: h.key}); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if got := h.jobSize(); got != 2 {
		t.Fatalf("Job size %d, want 2 (its patch failed)", got)
	}
	st := h.status()
	if diff := cmp.Diff(before.History.ScaleEvents, st.History.ScaleEvents); diff != "" {
		t.Errorf("scale events after a failed size write (-before +after):\n%s", diff)
	}
	if !equalTimes(before.LastScaleTime, st.LastScaleTime) || st.CurrentSize != 2 {
		t.Errorf("lastScaleTime %v, currentSize %d; want %v and 2, as before the pass", st.LastScaleTime, st.CurrentSize, before.LastScaleTime)
	}
	c2 := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionAbleToScale)
	if c2 == nil || c2.Reason != v1alpha1.ReasonFailedUpdateScale {
		t.Errorf("AbleToScale %+v, want reason %s", c2, v1alpha1.ReasonFailedUpdateScale)
	}
}

// scalePassThrough readies a pass that scales an Indexed Job from 2 to 6 through the client
// wrap returns: one reconcile first (the finalizer on, so the next pass only scales), then six
// jobs submitted. It returns the status before that pass.
func scalePassThrough(t *testing.T, wrap func(client.Client) client.Client) (*harness, v1alpha1.ScalingPolicyStatus) {
	t.Helper()
	sim := newSimCluster(t, 2)
	h := newHarness(t, makeScalingPolicy("p", ns).Target(jobRef("work")).Obj(), sim, makeJob("work", ns).Indexed().Size(2).Obj())
	h.step(time.Second)
	before := h.status()
	c := wrap(h.client)
	h.r.client, h.r.targets.Writer = c, c
	submit(t, sim, 1, 6, time.Hour)
	h.clock.Step(time.Second)
	if err := sim.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	return h, before
}

// jobPatchFails is a fake client: the fake API server, except that every patch of a Job fails.
type jobPatchFails struct{ client.Client }

func (c *jobPatchFails) Patch(ctx context.Context, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
	if _, ok := obj.(*batchv1.Job); ok {
		return errors.New("fake: the Job cannot be written")
	}
	return c.Client.Patch(ctx, obj, p, opts...)
}

func equalTimes(a, b *metav1.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b)
}

// A size that would remove ranks Flux shows up and busy is refused, whatever path asks for
// it, in Drain mode.
func TestOutsideDrainPlan(t *testing.T) {
	ranks := func(rs ...flux.Rank) *flux.State { return &flux.State{PerRank: true, Ranks: rs} }
	busy := func(r int32) flux.Rank { return flux.Rank{Rank: r, Online: true, Allocated: true} }
	idleDrained := func(r int32) flux.Rank { return flux.Rank{Rank: r, Online: true, Drain: flux.DrainDrained} }
	offline := func(r int32) flux.Rank { return flux.Rank{Rank: r} }
	drainMode := policy.Defaulted(v1alpha1.ScalingPolicySpec{})
	immediate := policy.Defaulted(v1alpha1.ScalingPolicySpec{ScaleDown: v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownImmediate}})
	tests := []struct {
		name    string
		spec    v1alpha1.ScalingPolicySpec
		state   *flux.State
		live    int32
		size    int32
		refused bool
	}{
		{name: "drained and idle ranks go", spec: drainMode, state: ranks(busy(0), idleDrained(1), idleDrained(2)), live: 3, size: 1},
		{name: "offline ranks go", spec: drainMode, state: ranks(busy(0), offline(1), offline(2)), live: 3, size: 1},
		{name: "a busy rank stays", spec: drainMode, state: ranks(busy(0), idleDrained(1), busy(2)), live: 3, size: 1, refused: true},
		{name: "an undrained idle rank stays", spec: drainMode, state: ranks(busy(0), flux.Rank{Rank: 1, Online: true}), live: 2, size: 1, refused: true},
		{name: "without per-rank state running pods stay", spec: drainMode, live: 3, size: 2, refused: true},
		{name: "growing is never refused", spec: drainMode, state: ranks(busy(0), busy(1)), live: 2, size: 4},
		{name: "immediate mode may kill", spec: immediate, state: ranks(busy(0), busy(1)), live: 2, size: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &outcome{target: indexedJob(tc.live), flux: fluxReading{state: tc.state, fresh: true}}
			err := outsideDrainPlan(o, &tc.spec, tc.size)
			if (err != nil) != tc.refused {
				t.Errorf("outsideDrainPlan = %v, want refused %v", err, tc.refused)
			}
		})
	}
}
