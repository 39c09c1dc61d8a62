package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/fluxoperator"
	"github.com/fluxscale/fluxscale/test/harness"
)

// operatorBound covers pods starting and their real brokers joining (or leaving) on two busy
// cores; no assertion here is a latency expectation.
const operatorBound = 3 * time.Minute

// TestSeedStoryOnTheRealOperator is the seed story of DESIGN.md on real parts: the real Flux
// Operator runs the operator's own examples/elasticity/basic/minicluster.yaml unchanged
// (flux-sample, size 2, maxSize 10), each Running pod has a real flux broker, and the
// controller reads Flux through pods/exec into rank 0's pod (flux.source Exec, the default).
// Flux's own view (flux resource status, the job's eventlog) is the judge.
func TestSeedStoryOnTheRealOperator(t *testing.T) {
	start := time.Now()
	h, _, in := realMiniCluster(t)
	ctx := t.Context()
	step := func(format string, args ...any) {
		t.Logf("TIMELINE +%5.1fs "+format, append([]any{time.Since(start).Seconds()}, args...)...)
	}
	// A 2-node job that outlives the story keeps the queue-depth recommendation at 2.
	steady := strings.TrimSpace(mustFlux(t, in, "submit", "-N2", "sleep", "inf"))
	mustFlux(t, in, "job", "wait-event", "-t", "60", steady, "start")

	// 1. The policy is created; the MiniCluster stays at 2.
	sp := builders.MakeScalingPolicy("flux-sample", h.Namespace).Target(exampleRef.APIVersion, exampleRef.Kind, exampleRef.Name).MinSize(1).MaxSize(10).
		QueueDepth(0).PollInterval(2).Behavior(shortScaleDown(10)).Obj()
	if err := h.Client.Create(ctx, sp); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, decideBound, "a first decision keeping size 2", func(ctx context.Context) (bool, string) {
		got, err := h.Policy(ctx, "flux-sample")
		if err != nil {
			return false, err.Error()
		}
		size, err := h.TargetSize(ctx, exampleRef)
		return err == nil && got.Status.ObservedGeneration == got.Generation && got.Status.DesiredSize == 2 && size == 2,
			fmt.Sprintf("observed %d/%d desired %d size %d (%v)", got.Status.ObservedGeneration, got.Generation, got.Status.DesiredSize, size, err)
	})
	step("policy created: size 2, Flux online %s", status(t, in, "online"))

	// 2. The application asks for 4: pods 2 and 3 start and their brokers join.
	app, err := h.NewApp(ctx, "solver", "flux-sample")
	if err != nil {
		t.Fatal(err)
	}
	// The API server's SubjectAccessReview decides: the Role names only flux-sample.
	var refused *harness.HintError
	if _, err := app.ForPolicy("other-policy").PostHint(ctx, 4, time.Minute, ""); !errors.As(err, &refused) || refused.StatusCode != http.StatusForbidden {
		t.Errorf("posting to a policy the Role does not name: %v, want 403 Forbidden", err)
	}
	posted, err := app.PostHint(ctx, 4, 10*time.Minute, "next phase needs 4 nodes")
	if err != nil {
		t.Fatal(err)
	}
	if posted.Size != 4 || posted.Mode != v1alpha1.HintFloor {
		t.Errorf("hint answer %+v, want size 4 mode Floor", posted)
	}
	in.WaitStatus(t, "online", "0-3", operatorBound)
	step("hint 4: Flux online %s", status(t, in, "online"))

	// 3. A job runs on rank 3, until the test releases it.
	release := filepath.Join(t.TempDir(), "release")
	onRank3 := strings.TrimSpace(mustFlux(t, in, "submit", "-N1", "--requires=host:flux-sample-3", "sh", "-c",
		"while [ ! -e "+release+" ]; do sleep 0.2; done"))
	mustFlux(t, in, "job", "wait-event", "-t", "60", onRank3, "start")
	step("job %s runs on ranks %s", onRank3, strings.TrimSpace(mustFlux(t, in, "jobs", "-n", "-o", "{ranks}", onRank3)))

	// 4. "3 is enough": rank 3 is drained, not removed, while its job runs.
	if _, err := app.PostHint(ctx, 3, 10*time.Minute, "3 nodes are enough"); err != nil {
		t.Fatal(err)
	}
	in.WaitStatus(t, "draining", "3", operatorBound)
	if size, err := h.TargetSize(ctx, exampleRef); err != nil || size != 4 {
		t.Fatalf("while rank 3 runs a job the size is %d (%v), want 4", size, err)
	}
	step("hint 3: Flux draining %s, size 4", status(t, in, "draining"))

	// 5. The job ends normally; only then does the size go to 3, and rank 3 goes offline.
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mustFlux(t, in, "job", "wait-event", "-t", "60", onRank3, "clean")
	if log := mustFlux(t, in, "job", "eventlog", onRank3); strings.Contains(log, "exception") {
		t.Errorf("the job on rank 3 was interrupted:\n%s", log)
	}
	in.WaitStatus(t, "offline", "3-9", operatorBound)
	if size, err := h.TargetSize(ctx, exampleRef); err != nil || size != 3 {
		t.Errorf("after rank 3 left, size %d (%v), want 3", size, err)
	}
	step("job %s ended (%s); size 3, Flux offline %s", onRank3,
		strings.TrimSpace(mustFlux(t, in, "jobs", "-n", "-o", "{result}", onRank3)), status(t, in, "offline"))

	// 6. The last hint expires; the queue decides again: the steady job's 2 nodes.
	if _, err := app.PostHint(ctx, 3, 5*time.Second, "finishing up"); err != nil {
		t.Fatal(err)
	}
	in.WaitStatus(t, "offline", "2-9", operatorBound)
	step("hint expired: Flux online %s, offline %s", status(t, in, "online"), status(t, in, "offline"))
	if st := strings.TrimSpace(mustFlux(t, in, "jobs", "-n", "-o", "{state}", steady)); st != "RUN" {
		t.Errorf("the steady job is %s, want RUN: no job may be killed", st)
	}
	if out := mustFlux(t, in, "jobs", "-a", "-n", "-o", "{id} {result}"); strings.Contains(out, "CANCELED") || strings.Contains(out, "FAILED") {
		t.Errorf("a job did not end normally:\n%s", out)
	}
	// Three hints accepted; 2 -> 4, 4 -> 3 and 3 -> 2.
	waitEvents(t, h, "ScalingPolicy", "flux-sample",
		map[string]int{v1alpha1.EventHintAccepted: 3, v1alpha1.EventSuccessfulRescale: 3})
}

// exampleRef targets the operator's example MiniCluster.
var exampleRef = v1alpha1.TargetRef{APIVersion: "flux-framework.org/v1alpha2", Kind: "MiniCluster", Name: "flux-sample"}

// realMiniCluster starts the real operator with its emulation and the fluxscale loop on a
// new control plane, creates the operator's example MiniCluster (flux-sample, size 2,
// maxSize 10) and waits until Flux shows its ranks 0-1 online.
func realMiniCluster(t *testing.T) (*harness.Harness, *fluxoperator.Operator, *fluxoperator.Instance) {
	t.Helper()
	c, op := fluxoperator.StartForTest(t)
	h := harness.StartOnForTest(t, c, harness.Options{RealOperator: true})
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(fluxoperator.MiniClusterResource).Namespace(h.Namespace).
		Create(t.Context(), fluxoperator.Example(t, h.Namespace), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	in := waitInstance(t, op, h.Namespace, exampleRef.Name)
	in.WaitStatus(t, "online", "0-1", operatorBound)
	return h, op, in
}

func waitInstance(t *testing.T, op *fluxoperator.Operator, namespace, name string) *fluxoperator.Instance {
	t.Helper()
	var in *fluxoperator.Instance
	harness.Eventually(t, operatorBound, "the first pod of "+name+" to run its broker", func(context.Context) (bool, string) {
		var ok bool
		in, ok = op.Instance(namespace, name)
		return ok, "no Running pod yet"
	})
	return in
}

func mustFlux(t *testing.T, in *fluxoperator.Instance, args ...string) string {
	t.Helper()
	out, err := in.Flux(t.Context(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func status(t *testing.T, in *fluxoperator.Instance, state string) string {
	t.Helper()
	got, err := in.ResourceStatus(t.Context(), state)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
