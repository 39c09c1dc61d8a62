package autoscaler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// Of two policies for one target the younger is refused, naming the older, and leaves the
// target to it.
func TestASecondPolicyForOneTargetIsRefused(t *testing.T) {
	sim := newSimCluster(t, 2)
	older := makeScalingPolicy("first", ns).Target(jobRef("work")).Obj()
	older.CreationTimestamp = metav1.NewTime(t0.Add(-time.Hour))
	younger := makeScalingPolicy("second", ns).Target(jobRef("work")).Bounds(1, 3).Obj()
	younger.CreationTimestamp = metav1.NewTime(t0)
	h := newHarness(t, younger, sim, older, makeJob("work", ns).Indexed().Size(2).Obj())
	submit(t, sim, 1, 6, time.Hour)
	h.step(time.Second)
	if got := h.jobSize(); got != 2 {
		t.Errorf("the refused policy scaled the Job to %d", got)
	}
	c := meta.FindStatusCondition(h.status().Conditions, v1alpha1.ConditionAbleToScale)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != v1alpha1.ReasonAmbiguousTarget || !strings.Contains(c.Message, "ScalingPolicy first") {
		t.Errorf("AbleToScale %+v, want False/AmbiguousTarget naming ScalingPolicy first", c)
	}
	if diff := cmp.Diff([]string{"Warning AmbiguousTarget"}, h.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	h.step(time.Second)
	if diff := cmp.Diff([]string(nil), h.events()); diff != "" {
		t.Errorf("the refusal was announced again (-want +got):\n%s", diff)
	}
	// The older policy is not held back by the younger.
	h.r.sources = source.NewCache(simSources{clusters: map[string]*simulated.Cluster{"first": sim, "second": sim}})
	if _, err := h.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: client.ObjectKeyFromObject(older)}); err != nil {
		t.Fatal(err)
	}
	if got := h.jobSize(); got != 6 {
		t.Errorf("the older policy scaled the Job to %d, want 6", got)
	}
}
