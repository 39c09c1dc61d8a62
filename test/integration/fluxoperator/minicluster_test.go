// Package fluxoperator_test checks the MiniCluster emulation and fluxscale's Exec path on it:
// the real Flux Operator makes the Job and pods, kwok runs them, each Running pod gets a real
// flux broker, and fluxscale's readers exec into rank 0's pod as they would in a real
// MiniCluster. Flux's own CLI on the host is the judge.
package fluxoperator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/fluxoperator"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

const (
	mcName    = "flux-sample" // the example's name; its application container has it too
	ns        = "default"
	waitBound = 3 * time.Minute // brokers joining on two busy cores under -race
)

func TestOperatorMiniClusterRanksFollowPods(t *testing.T) {
	c, op := fluxoperator.StartForTest(t)
	ctx := t.Context()
	dyn := createExample(t, c)
	in := waitInstance(t, op)
	in.WaitStatus(t, "online", "0-1", waitBound)
	in.WaitStatus(t, "offline", "2-9", waitBound)

	pod0 := leadPod(t, c)
	runner, err := flux.NewPodExecRunner(c.RESTConfig(), flux.PodTarget{Namespace: ns, Pod: pod0, Container: mcName})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a plain exec fails as in a real pod", func(t *testing.T) {
		// The view's flux without flux-view.sh's environment: what fluxscale used to run. kwok
		// turns a non-zero exit into an exec error without the output (a kubelet returns the
		// exit code), so a shell reports both.
		res, err := runner.Run(ctx, []string{"sh", "-c",
			"FLUX_URI=local:///mnt/flux/config/run/flux/local /mnt/flux/view/bin/flux jobs -A 2>&1; echo exit=$?"})
		if err != nil {
			t.Fatal(err)
		}
		if out := string(res.Stdout); !strings.Contains(out, "ModuleNotFoundError") || strings.Contains(out, "exit=0") {
			t.Errorf("plain exec printed %q; want the import failure of a real pod", out)
		}
	})

	where := fmt.Sprintf("pod %s/%s container %q", ns, pod0, mcName)
	inPod := flux.MiniClusterRunner{Pod: runner, MountPath: flux.DefaultMountPath, Where: where}
	clients := map[string]flux.Client{
		"cli":    flux.NewCLI(inPod, flux.CLIOptions{}),
		"python": flux.NewPython(inPod, flux.CLIOptions{}),
	}
	for name, cl := range clients {
		t.Run("reads/"+name, func(t *testing.T) {
			checkRanks(t, in, cl)
		})
	}

	// Grow through the MiniCluster (what /scale writes): pods 2 and 3 start, their brokers join.
	setSize(t, dyn, 4)
	in.WaitStatus(t, "online", "0-3", waitBound)
	for name, cl := range clients {
		t.Run("drain/"+name, func(t *testing.T) {
			if err := cl.Drain(ctx, flux.NewRankSet(3), "fluxscale test"); err != nil {
				t.Fatal(err)
			}
			in.WaitStatus(t, "drained", "3", 30*time.Second)
			checkRanks(t, in, cl)
			// Undrain of a mixed set (only 3 is drained) is not an error.
			if err := cl.Undrain(ctx, flux.RankRange(0, 4)); err != nil {
				t.Fatal(err)
			}
			in.WaitStatus(t, "drained", "", 30*time.Second)
		})
	}

	// Shrink: the highest index goes, and Flux sees its broker leave.
	setSize(t, dyn, 3)
	in.WaitStatus(t, "offline", "3-9", waitBound)
	in.WaitStatus(t, "online", "0-2", waitBound)
}

// createExample creates the operator's example MiniCluster.
func createExample(t *testing.T, c *localcluster.Cluster) dynamic.Interface {
	t.Helper()
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	mcs := dyn.Resource(fluxoperator.MiniClusterResource).Namespace(ns)
	if _, err := mcs.Create(t.Context(), fluxoperator.Example(t, ns), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return dyn
}

// checkRanks compares what cl reads with Flux's own view of the ranks.
func checkRanks(t *testing.T, in *fluxoperator.Instance, cl flux.Client) {
	t.Helper()
	ctx := t.Context()
	st, err := cl.State(ctx)
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	var online, offline, drained flux.RankSet
	for _, r := range st.Ranks {
		switch {
		case !r.Online:
			offline = append(offline, r.Rank)
		default:
			online = append(online, r.Rank)
		}
		if r.Drain == flux.DrainDrained {
			drained = append(drained, r.Rank)
		}
	}
	for state, got := range map[string]flux.RankSet{"online": online, "offline": offline, "drained": drained} {
		want, err := in.ResourceStatus(ctx, state)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != want {
			t.Errorf("%s ranks: fluxscale read %q, flux resource status says %q", state, got, want)
		}
	}
	if st.Size != 10 {
		t.Errorf("Size = %d, want the example's maxSize 10", st.Size)
	}
}

func waitInstance(t *testing.T, op *fluxoperator.Operator) *fluxoperator.Instance {
	t.Helper()
	var in *fluxoperator.Instance
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, waitBound, true, func(context.Context) (bool, error) {
		var ok bool
		in, ok = op.Instance(ns, mcName)
		return ok, nil
	})
	if err != nil {
		t.Fatalf("no pod of MiniCluster %s ran within %s: %v", mcName, waitBound, err)
	}
	return in
}

// leadPod returns the Running pod with completion index 0.
func leadPod(t *testing.T, c *localcluster.Cluster) string {
	t.Helper()
	pods, err := c.Client().CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{
		LabelSelector: batchv1.JobNameLabel + "=" + mcName + "," + batchv1.JobCompletionIndexAnnotation + "=0",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			return p.Name
		}
	}
	t.Fatalf("no Running rank-0 pod of %s", mcName)
	return ""
}

func setSize(t *testing.T, dyn dynamic.Interface, size int) {
	t.Helper()
	patch := fmt.Appendf(nil, `{"spec":{"size":%d}}`, size)
	if _, err := dyn.Resource(fluxoperator.MiniClusterResource).Namespace(ns).Patch(t.Context(), mcName, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}
