package minicluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/localcluster"
	"github.com/fluxscale/fluxscale/test/minicluster"
)

const name = "flux-sample"

// These tests run the STAND-IN operator, not the Flux Operator, on a real control plane
// (API server, Job controller, kwok): they prove the stand-in behaves as DESIGN.md records
// the real operator does, so e2e tests of fluxscale can rely on it. One cluster serves all
// subtests; each uses its own namespace because the operator's pod labelling is per
// namespace.
func TestStandInOperator(t *testing.T) {
	start := time.Now()
	lc := localcluster.StartForTest(t, localcluster.Options{Nodes: 1})
	t.Logf("cluster started in %v", time.Since(start).Round(time.Millisecond))
	minicluster.StartForTest(t, lc.RESTConfig(), minicluster.StandInOptions{NodeName: lc.Nodes()[0]})
	scheme, err := minicluster.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(lc.RESTConfig(), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{cluster: lc, client: c}
	t.Run("StandInScalesThroughScaleSubresource", env.testScale)
	t.Run("StandInIgnoresSizeAboveMaxSize", env.testAboveMax)
	t.Run("StandInRevertsDirectJobPatch", env.testRevertJobPatch)
	t.Run("StandInClampsAfterMaxSizeRaised", env.testClamp)
}

type testEnv struct {
	cluster *localcluster.Cluster
	client  client.Client
}

// newMiniCluster creates a MiniCluster named flux-sample in a new namespace and waits until
// its pods run.
func (e *testEnv) newMiniCluster(t *testing.T, ns string, size, maxSize int32) {
	t.Helper()
	if err := e.cluster.CreateNamespace(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	mc := builders.MakeMiniCluster(name, ns).Size(size).MaxSize(maxSize).Interactive().Obj()
	if err := e.client.Create(t.Context(), mc); err != nil {
		t.Fatalf("creating MiniCluster: %v", err)
	}
	waitRunning(t, e.client, ns, name, int(size))
}

func (e *testEnv) waitScale(t *testing.T, ns, want string) {
	t.Helper()
	waitFor(t, "/scale "+want, func(ctx context.Context) (bool, string, error) {
		got, err := readScale(ctx, e.client, ns, name)
		return got == want, got, err
	})
}

func (e *testEnv) testScale(t *testing.T) {
	ns := "scale"
	e.newMiniCluster(t, ns, 2, 10)

	job := &batchv1.Job{}
	if err := e.client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, job); err != nil {
		t.Fatal(err)
	}
	owner := job.OwnerReferences
	if len(owner) != 1 || owner[0].Kind != minicluster.Kind || owner[0].Name != name || !ptr.Deref(owner[0].Controller, false) {
		t.Errorf("Job ownerReferences = %+v, want one controller reference to MiniCluster %s", owner, name)
	}
	if got := ptr.Deref(job.Spec.CompletionMode, ""); got != batchv1.IndexedCompletion {
		t.Errorf("Job completionMode = %q, want Indexed", got)
	}
	// status.size stays 0 until the first resize, while the selector is published at once.
	e.waitScale(t, ns, "spec=2 status=0 selector=hpa-selector=flux-sample")
	mc := &minicluster.MiniCluster{}
	if err := e.client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, mc); err != nil {
		t.Fatal(err)
	}
	if mc.Status.MaximumSize != 10 {
		t.Errorf("status.maximumSize = %d, want 10", mc.Status.MaximumSize)
	}

	for _, size := range []int32{4, 3} {
		start := time.Now()
		scaleTo(t, e.client, ns, name, size)
		waitJobSize(t, e.client, ns, name, size)
		t.Logf("/scale %d reached the Job in %v", size, time.Since(start).Round(time.Millisecond))
		waitRunning(t, e.client, ns, name, int(size))
		t.Logf("/scale %d: %d pods Running in %v", size, size, time.Since(start).Round(time.Millisecond))
		e.waitScale(t, ns, fmt.Sprintf("spec=%d status=%d selector=hpa-selector=flux-sample", size, size))
	}
}

func (e *testEnv) testAboveMax(t *testing.T) {
	ns := "above-max"
	e.newMiniCluster(t, ns, 2, 10)
	scaleTo(t, e.client, ns, name, 3)
	e.waitScale(t, ns, "spec=3 status=3 selector=hpa-selector=flux-sample")

	// Above maxSize: the operator gives up; the Job keeps 3 and spec keeps 12.
	scaleTo(t, e.client, ns, name, 12)
	waitEvent(t, e.client, ns, name, minicluster.EventSizeRejected, "spec.size 12 is above spec.maxSize 10")
	e.waitScale(t, ns, "spec=12 status=3 selector=hpa-selector=flux-sample")
	waitJobSize(t, e.client, ns, name, 3)

	// Size 0 is ignored the same way.
	scaleTo(t, e.client, ns, name, 0)
	waitEvent(t, e.client, ns, name, minicluster.EventSizeRejected, "spec.size is 0")
	e.waitScale(t, ns, "spec=0 status=3 selector=hpa-selector=flux-sample")
	waitJobSize(t, e.client, ns, name, 3)
	waitRunning(t, e.client, ns, name, 3)

	// A valid size afterwards is applied again.
	scaleTo(t, e.client, ns, name, 4)
	waitJobSize(t, e.client, ns, name, 4)
	waitRunning(t, e.client, ns, name, 4)
}

func (e *testEnv) testRevertJobPatch(t *testing.T) {
	ns := "revert"
	e.newMiniCluster(t, ns, 2, 10)
	job := &batchv1.Job{}
	job.Namespace, job.Name = ns, name
	patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"parallelism":5,"completions":5}}`))
	if err := e.client.Patch(t.Context(), job, patch); err != nil {
		t.Fatalf("patching the Job directly: %v", err)
	}
	if got := ptr.Deref(job.Spec.Parallelism, 0); got != 5 {
		t.Fatalf("direct patch response has parallelism %d, want 5", got)
	}
	waitJobSize(t, e.client, ns, name, 2)
	waitRunning(t, e.client, ns, name, 2)
	// Reverting is a resize for the operator, so it records the size in status.
	e.waitScale(t, ns, "spec=2 status=2 selector=hpa-selector=flux-sample")
}

func (e *testEnv) testClamp(t *testing.T) {
	ns := "clamp"
	e.newMiniCluster(t, ns, 2, 4)
	// Raising maxSize after creation passes validation, but status.maximumSize stays 4.
	mc := builders.MakeMiniCluster(name, ns).Obj()
	patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"maxSize":10,"size":8}}`))
	if err := e.client.Patch(t.Context(), mc, patch); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, e.client, ns, name, minicluster.EventSizeClamped, "spec.size 8 is above status.maximumSize 4")
	e.waitScale(t, ns, "spec=4 status=4 selector=hpa-selector=flux-sample")
	waitJobSize(t, e.client, ns, name, 4)
	waitRunning(t, e.client, ns, name, 4)
}
