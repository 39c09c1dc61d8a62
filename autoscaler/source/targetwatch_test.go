package source

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

func TestJobEventsMapToThePoliciesTargetingThem(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).
		WithIndex(&v1alpha1.ScalingPolicy{}, TargetIndex, TargetIndexValues).
		WithObjects(
			makeScalingPolicy("on-job", ns).Target(jobRef("work")).Obj(),
			makeScalingPolicy("on-mc", ns).Target(mcRef("flux-sample")).Obj(),
			makeScalingPolicy("elsewhere", "other").Target(jobRef("work")).Obj(),
			makeScalingPolicy("bad-ref", ns).Target(v1alpha1.TargetRef{APIVersion: "a/b/c", Kind: "Job", Name: "work"}).Obj(),
		).Build()
	p := Policies{Client: c}
	ctx := context.Background()
	tests := []struct {
		name string
		got  []reconcile.Request
		want []string
	}{
		{name: "a bare job", got: p.ForJob(ctx, makeJob("work", ns).Obj()), want: []string{"team/on-job"}},
		{name: "the job a minicluster owns", got: p.ForJob(ctx, makeJob("flux-sample", ns).OwnedByMiniCluster("flux-sample").Obj()), want: []string{"team/on-mc"}},
		{name: "a minicluster", got: p.ForMiniCluster(ctx, miniCluster("flux-sample", ns, 2, 4)), want: []string{"team/on-mc"}},
		{name: "an unrelated job", got: p.ForJob(ctx, makeJob("other", ns).Obj())},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, rq := range tc.got {
				got = append(got, rq.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}
