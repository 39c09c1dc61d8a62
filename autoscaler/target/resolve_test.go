package target

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	scalefake "k8s.io/client-go/scale/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

const ns = "team"

func jobRef(name string) v1alpha1.TargetRef {
	return v1alpha1.TargetRef{APIVersion: "batch/v1", Kind: "Job", Name: name}
}

func mcRef(name string) v1alpha1.TargetRef {
	return v1alpha1.TargetRef{APIVersion: "flux-framework.org/v1alpha2", Kind: "MiniCluster", Name: name}
}

// testMapper knows batch Jobs and, with the CRD installed, MiniClusters.
func testMapper(withMiniCluster bool) meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(batchv1.SchemeGroupVersion.WithKind("Job"), meta.RESTScopeNamespace)
	if withMiniCluster {
		m.Add(schema.GroupVersionKind{Group: "flux-framework.org", Version: "v1alpha2", Kind: "MiniCluster"}, meta.RESTScopeNamespace)
	}
	return m
}

// fakeScales serves /scale of the given objects by name and records updates.
func fakeScales(scales ...*autoscalingv1.Scale) *scalefake.FakeScaleClient {
	f := &scalefake.FakeScaleClient{}
	f.AddReactor("get", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		name := a.(k8stesting.GetAction).GetName()
		for _, s := range scales {
			if s.Name == name {
				return true, s.DeepCopy(), nil
			}
		}
		return true, nil, apierrors.NewNotFound(a.GetResource().GroupResource(), name)
	})
	f.AddReactor("update", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		s := a.(k8stesting.UpdateAction).GetObject().(*autoscalingv1.Scale)
		return true, s, nil
	})
	return f
}

func testResolver(t *testing.T, mapper meta.RESTMapper, scales *scalefake.FakeScaleClient, objs ...client.Object) (*Resolver, client.Client) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	return &Resolver{Reader: c, Writer: c, Scales: scales, Mapper: mapper}, c
}

func TestResolve(t *testing.T) {
	type want struct {
		kind               Kind
		current, live, max int32
		jobName, problem   string
		problemMentions    string
	}
	tests := []struct {
		name   string
		ref    v1alpha1.TargetRef
		crd    bool
		objs   []client.Object
		scales []*autoscalingv1.Scale
		want   want
	}{{
		name: "indexed job",
		ref:  jobRef("work"),
		objs: []client.Object{makeJob("work", ns).Indexed().Size(3).Obj()},
		want: want{kind: KindIndexedJob, current: 3, live: 3, jobName: "work"},
	}, {
		name: "missing job",
		ref:  jobRef("gone"),
		want: want{problem: v1alpha1.ReasonTargetNotFound, problemMentions: "team/gone"},
	}, {
		name: "non-indexed job",
		ref:  jobRef("plain"),
		objs: []client.Object{makeJob("plain", ns).Size(2).Obj()},
		want: want{problem: v1alpha1.ReasonTargetNotIndexed, problemMentions: "completionMode NonIndexed"},
	}, {
		name: "job owned by a minicluster",
		ref:  jobRef("flux-sample"),
		objs: []client.Object{makeJob("flux-sample", ns).Indexed().Size(2).OwnedByMiniCluster("flux-sample").Obj()},
		want: want{problem: v1alpha1.ReasonTargetOwned, problemMentions: "kind: MiniCluster, name: flux-sample"},
	}, {
		name: "minicluster crd not installed",
		ref:  mcRef("flux-sample"),
		want: want{problem: v1alpha1.ReasonTargetKindUnknown, problemMentions: "install its CRD"},
	}, {
		name: "apiVersion not group/version",
		ref:  v1alpha1.TargetRef{APIVersion: "a/b/c", Kind: "MiniCluster", Name: "x"},
		crd:  true,
		want: want{problem: v1alpha1.ReasonTargetKindUnknown, problemMentions: `"a/b/c"`},
	}, {
		name:   "minicluster with its job caught up",
		ref:    mcRef("flux-sample"),
		crd:    true,
		objs:   []client.Object{makeMiniCluster("flux-sample", ns, 2, 6), makeJob("flux-sample", ns).Indexed().Size(2).OwnedByMiniCluster("flux-sample").Obj()},
		scales: []*autoscalingv1.Scale{scaleOf("flux-sample", ns, 2)},
		want:   want{kind: KindMiniCluster, current: 2, live: 2, max: 6, jobName: "flux-sample"},
	}, {
		name:   "minicluster whose operator refused the size",
		ref:    mcRef("flux-sample"),
		crd:    true,
		objs:   []client.Object{makeMiniCluster("flux-sample", ns, 12, 6), makeJob("flux-sample", ns).Indexed().Size(3).OwnedByMiniCluster("flux-sample").Obj()},
		scales: []*autoscalingv1.Scale{scaleOf("flux-sample", ns, 12)},
		want:   want{kind: KindMiniCluster, current: 12, live: 3, max: 6, jobName: "flux-sample"},
	}, {
		name:   "minicluster before the operator set maximumSize and created its job",
		ref:    mcRef("fresh"),
		crd:    true,
		objs:   []client.Object{makeMiniCluster("fresh", ns, 2, 0)},
		scales: []*autoscalingv1.Scale{scaleOf("fresh", ns, 2)},
		want:   want{kind: KindMiniCluster, current: 2, live: -1, max: 2, jobName: "fresh"},
	}, {
		name: "minicluster missing",
		ref:  mcRef("gone"),
		crd:  true,
		want: want{problem: v1alpha1.ReasonTargetNotFound, problemMentions: "team/gone"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resolver, _ := testResolver(t, testMapper(tc.crd), fakeScales(tc.scales...), tc.objs...)
			tgt, err := resolver.Resolve(context.Background(), ns, tc.ref)
			var got want
			var problem *Problem
			switch {
			case errors.As(err, &problem):
				got.problem = problem.Reason
				if strings.Contains(problem.Message, tc.want.problemMentions) {
					got.problemMentions = tc.want.problemMentions
				} else {
					got.problemMentions = problem.Message
				}
			case err != nil:
				t.Fatalf("Resolve: %v", err)
			default:
				i := tgt.Info()
				got = want{kind: i.Kind, current: i.Current, live: i.Live, max: i.Max, jobName: i.JobName}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScaleIndexedJobPatchesParallelismAndCompletions(t *testing.T) {
	resolver, c := testResolver(t, testMapper(false), fakeScales(), makeJob("work", ns).Indexed().Size(2).Obj())
	ctx := context.Background()
	tgt, err := resolver.Resolve(ctx, ns, jobRef("work"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tgt.Scale(ctx, 6); err != nil {
		t.Fatalf("Scale: %v", err)
	}
	var job batchv1.Job
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "work"}, &job); err != nil {
		t.Fatal(err)
	}
	got := [2]int32{*job.Spec.Parallelism, *job.Spec.Completions}
	if diff := cmp.Diff([2]int32{6, 6}, got); diff != "" {
		t.Errorf("parallelism, completions (-want +got):\n%s", diff)
	}
}

func TestScaleIndexedJobChangedSinceReadConflicts(t *testing.T) {
	resolver, c := testResolver(t, testMapper(false), fakeScales(), makeJob("work", ns).Indexed().Size(2).Obj())
	ctx := context.Background()
	tgt, err := resolver.Resolve(ctx, ns, jobRef("work"))
	if err != nil {
		t.Fatal(err)
	}
	// Someone else changes the Job after we read it.
	var job batchv1.Job
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "work"}, &job); err != nil {
		t.Fatal(err)
	}
	job.Labels = map[string]string{"touched": "yes"}
	if err := c.Update(ctx, &job); err != nil {
		t.Fatal(err)
	}
	if err := tgt.Scale(ctx, 6); !apierrors.IsConflict(err) {
		t.Errorf("Scale after a concurrent change: got %v, want a conflict", err)
	}
}

func TestScaleRefusesAboveTargetMax(t *testing.T) {
	scales := fakeScales(scaleOf("flux-sample", ns, 2))
	resolver, c := testResolver(t, testMapper(true), scales,
		makeMiniCluster("flux-sample", ns, 2, 4), makeJob("flux-sample", ns).Indexed().Size(2).OwnedByMiniCluster("flux-sample").Obj())
	ctx := context.Background()
	tgt, err := resolver.Resolve(ctx, ns, mcRef("flux-sample"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tgt.Scale(ctx, 5); err == nil || !strings.Contains(err.Error(), "above its maximum size 4") {
		t.Errorf("Scale to 5 above max 4: got %v, want a refusal", err)
	}
	if err := tgt.Scale(ctx, 4); err != nil {
		t.Fatalf("Scale to 4: %v", err)
	}
	// The size comes from the MiniCluster object, not a GET of /scale: the update carries
	// the object's resourceVersion, which its /scale shares.
	var mc unstructured.Unstructured
	mc.SetGroupVersionKind(schema.GroupVersionKind{Group: MiniClusterGroup, Version: "v1alpha2", Kind: MiniClusterKind})
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "flux-sample"}, &mc); err != nil {
		t.Fatal(err)
	}
	var updates []int32
	for _, a := range scales.Actions() {
		if _, ok := a.(k8stesting.GetAction); ok {
			t.Errorf("a MiniCluster's /scale was read (%v); its size is in the object", a)
		}
		if u, ok := a.(k8stesting.UpdateAction); ok {
			s := u.GetObject().(*autoscalingv1.Scale)
			if s.ResourceVersion != mc.GetResourceVersion() {
				t.Errorf("scale update carries resourceVersion %q, want the MiniCluster's as read (%s)", s.ResourceVersion, mc.GetResourceVersion())
			}
			updates = append(updates, s.Spec.Replicas)
		}
	}
	if diff := cmp.Diff([]int32{4}, updates); diff != "" {
		t.Errorf("/scale updates (-want +got):\n%s", diff)
	}
}
