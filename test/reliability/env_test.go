package reliability

import (
	"testing"

	"github.com/fluxscale/fluxscale/test/ctrltest"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

// env is a running control plane with the ScalingPolicy CRD installed.
type env struct{ *ctrltest.Env }

// startEnv starts a control plane of one kwok node (ctrltest.StartEnv).
func startEnv(t *testing.T) *env {
	t.Helper()
	x := ctrltest.StartEnv(t, ctrltest.EnvOptions{Cluster: localcluster.Options{Nodes: 1}})
	return &env{x}
}

// namespace creates a namespace for one test case.
func (e *env) namespace(t *testing.T, name string) string {
	t.Helper()
	if err := e.Cluster.CreateNamespace(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	return name
}
