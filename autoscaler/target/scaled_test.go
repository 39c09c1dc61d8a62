package target

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// A status written ahead of a size write says what Scaled predicts; the write then leaves
// Info as Scale does, or the pass would write its status a second time.
func TestScaledIsWhatScaleLeaves(t *testing.T) {
	mapper := testMapper(true).(*meta.DefaultRESTMapper)
	mapper.Add(schema.GroupVersionKind{Group: "example.org", Version: "v1", Kind: "Worker"}, meta.RESTScopeNamespace)
	resolver, _ := testResolver(t, mapper, fakeScales(scaleOf("flux-sample", ns, 2), scaleOf("pool", ns, 2)),
		makeMiniCluster("flux-sample", ns, 2, 8),
		makeJob("flux-sample", ns).Indexed().Size(2).OwnedByMiniCluster("flux-sample").Obj(),
		makeJob("work", ns).Indexed().Size(2).Obj())
	refs := map[string]v1alpha1.TargetRef{
		"MiniCluster": mcRef("flux-sample"),
		"Indexed Job": jobRef("work"),
		"/scale":      {APIVersion: "example.org/v1", Kind: "Worker", Name: "pool"},
	}
	ctx := context.Background()
	for name, ref := range refs {
		t.Run(name, func(t *testing.T) {
			tgt, err := resolver.Resolve(ctx, ns, ref)
			if err != nil {
				t.Fatal(err)
			}
			before := *tgt.Info()
			want := tgt.Scaled(5)
			if diff := cmp.Diff(before, *tgt.Info()); diff != "" {
				t.Errorf("Scaled changed Info (-before +after):\n%s", diff)
			}
			if err := tgt.Scale(ctx, 5); err != nil {
				t.Fatalf("Scale: %v", err)
			}
			if diff := cmp.Diff(want, *tgt.Info()); diff != "" {
				t.Errorf("Scaled(5) against Info after Scale(5) (-predicted +got):\n%s", diff)
			}
			if want.Current != 5 {
				t.Errorf("Scaled(5).Current = %d, want 5", want.Current)
			}
		})
	}
}
