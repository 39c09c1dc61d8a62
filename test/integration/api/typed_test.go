package api

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/builders"
)

// testTypedDefaults checks a policy built in Go (builders.MakeScalingPolicy) and created
// through the typed client is stored with the same defaults as a YAML policy. Go always
// sends the non-pointer struct fields (flux, hints, scaleDown, fallback), so their
// field-level defaults apply instead of the spec-level object defaults; this catches a
// field whose two defaults disagree.
func testTypedDefaults(t *testing.T, c client.Client) {
	ns := createNamespace(t, c, "typed")
	sp := builders.MakeScalingPolicy("typed", ns).Obj()
	if err := c.Create(t.Context(), sp); err != nil {
		t.Fatal(err)
	}
	got := &v1alpha1.ScalingPolicy{}
	if err := c.Get(t.Context(), client.ObjectKeyFromObject(sp), got); err != nil {
		t.Fatal(err)
	}
	t.Logf("stored spec: %+v", got.Spec)
	want := defaulted{
		MinSize: 1, Source: v1alpha1.SourceExec, Timeout: 10, Combine: v1alpha1.CombineMax,
		Hints:     v1alpha1.HintsSpec{Enabled: ptr.To(true), Mode: v1alpha1.HintFloor, MaxTTLSeconds: 3600},
		ScaleDown: v1alpha1.ScaleDownSpec{Mode: v1alpha1.ScaleDownDrain},
		Fallback:  v1alpha1.FallbackSpec{AfterSeconds: 180, Action: v1alpha1.FallbackHold}, Poll: 10,
	}
	if diff := cmp.Diff(want, defaultedOf(&got.Spec)); diff != "" {
		t.Errorf("defaulted fields (-want +got):\n%s", diff)
	}
}
