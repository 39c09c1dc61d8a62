package fluxoperator

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

// AgentToken is the bearer token of the agents StartAgent runs.
const AgentToken = "fluxscale-test-token"

// StartAgent runs `fluxscale agent`, built from this module, in a pod's container the way
// config/samples/agent-sidecar.yaml's command does (--mount-path=/mnt/flux, a token file),
// through pods/exec: it sees the pod's mount path and environment, nothing of the test's. It
// returns the agent's URL (it listens on loopback); the agent is stopped when t ends.
func (op *Operator) StartAgent(t testing.TB, namespace, pod, container string) string {
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
	if err := os.WriteFile(token, []byte(AgentToken), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	runner, err := flux.NewPodExecRunner(op.cluster.RESTConfig(), flux.PodTarget{Namespace: namespace, Pod: pod, Container: container})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := runner.Run(ctx, []string{bin, "agent", "--mount-path=/mnt/flux", "--listen=" + addr,
			"--interval=1s", "--token-file=" + token})
		if ctx.Err() == nil {
			t.Logf("the agent in pod %s/%s exited: %+v, %v", namespace, pod, res, err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		// kwok ends the exec'd process with its stream; kill it by its listen address too,
		// so no agent outlives the test whatever kwok does.
		_ = exec.Command("pkill", "-f", "--listen="+addr).Run()
		<-done
	})
	return fmt.Sprintf("http://%s", addr)
}
