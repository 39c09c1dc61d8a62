package fluxoperator_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
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

// startSidecarAgent runs `fluxscale agent` in rank 0's pod the way the sidecar sample's
// command does (config/samples/agent-sidecar.yaml: --mount-path=/mnt/flux, a token file),
// through pods/exec, so it sees the pod's mount path and environment and nothing of this
// test's. It returns a client of it; the agent is stopped when t ends.
func startSidecarAgent(t *testing.T, c *localcluster.Cluster, pod string) *agent.Client {
	t.Helper()
	root, err := localcluster.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fluxscale")
	build := exec.Command("go", "build", "-o", bin, "./cmd/fluxscale")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building fluxscale: %v\n%s", err, out)
	}
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	runner, err := flux.NewPodExecRunner(c.RESTConfig(), flux.PodTarget{Namespace: ns, Pod: pod, Container: "fluxscale-agent"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		res, err := runner.Run(ctx, []string{bin, "agent", "--mount-path=/mnt/flux", "--listen=" + addr,
			"--interval=1s", "--token-file=" + token})
		if err == nil && ctx.Err() == nil {
			err = fmt.Errorf("agent exited %d: %s", res.ExitCode, res.Stderr)
		}
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		// kwok ends the exec'd process with the stream; kill it by its listen address too,
		// so no agent outlives the test whatever kwok does.
		_ = exec.Command("pkill", "-f", "--listen="+addr).Run()
		<-done
	})
	cl, err := agent.NewClient("http://"+addr, agent.ClientOptions{Token: "s3cret", Wait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-done:
			return false, fmt.Errorf("the agent stopped: %v", err)
		default:
		}
		_, err := cl.State(ctx)
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("the sidecar agent on %s did not serve state: %v", addr, err)
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
	cl := startSidecarAgent(t, c, leadPod(t, c))
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
