package fluxoperator_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/fluxoperator"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

// createSample creates the MiniCluster of the agent sidecar sample.
func createSample(t *testing.T, c *localcluster.Cluster) {
	t.Helper()
	root, err := localcluster.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "config", "samples", "agent-sidecar.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			t.Fatal(err)
		}
		if obj.GetKind() != "MiniCluster" {
			continue
		}
		if _, err := dyn.Resource(fluxoperator.MiniClusterResource).Namespace(ns).Create(t.Context(), obj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("the sidecar sample has no MiniCluster")
}

// startSidecarAgent runs the sample's agent command in rank 0's agent container and waits
// until it serves state.
func startSidecarAgent(t *testing.T, op *fluxoperator.Operator, pod string) *agent.Client {
	t.Helper()
	url := op.StartAgent(t, ns, pod, "fluxscale-agent")
	cl, err := agent.NewClient(url, agent.ClientOptions{Token: fluxoperator.AgentToken, Wait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cl.State(ctx)
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("the sidecar agent at %s did not serve state: %v", url, err)
	}
	return cl
}

// TestSidecarAgentOnTheEmulation runs the MiniCluster of config/samples/agent-sidecar.yaml
// on the real operator, and its agent container's command in rank 0's pod.
func TestSidecarAgentOnTheEmulation(t *testing.T) {
	c, op := fluxoperator.StartForTest(t)
	createSample(t, c)
	in := waitInstance(t, op)
	in.WaitStatus(t, "online", "0-1", waitBound)
	cl := startSidecarAgent(t, op, leadPod(t, c))
	checkRanks(t, in, cl)
	if err := cl.Drain(t.Context(), flux.NewRankSet(1), "fluxscale agent test"); err != nil {
		t.Fatal(err)
	}
	in.WaitStatus(t, "drained", "1", 30*time.Second)
	if err := cl.Undrain(t.Context(), flux.RankRange(0, 2)); err != nil {
		t.Fatal(err)
	}
	in.WaitStatus(t, "drained", "", 30*time.Second)
	t.Logf("sidecar agent: reads equal to flux resource status; drain 1 and undrain 0-1 seen by Flux")
}
