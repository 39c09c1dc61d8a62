// Package controller_test runs the fluxscale controller in-process against a real control
// plane (etcd, kube-apiserver, kube-controller-manager's Job controller, kwok nodes and pods)
// with a simulated Flux cluster per policy in place of Flux.
package controller_test

import (
	"os"
	"testing"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/fluxscale/fluxscale/test/ctrltest"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

// testNamespace holds every object of a test; each test has its own cluster.
const testNamespace = "team"

// TestMain gives controller-runtime's global logger a sink once: informers started after a
// manager (the MiniCluster watch) log through it. Each manager logs to its own test log.
func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	os.Exit(m.Run())
}

// env is a running control plane with the ScalingPolicy CRD installed and the test
// namespace created.
type env struct{ *ctrltest.Env }

// startEnv starts a control plane of four kwok nodes.
func startEnv(t *testing.T) *env {
	t.Helper()
	return startEnvWith(t, localcluster.Options{Nodes: 4})
}

// startEnvWith is startEnv with cluster options (e.g. what pods/exec runs). The admin
// client has no client-side rate limit, as controller-runtime's config loading sets for the
// controller binary: the tests poll often, and throttled reads would measure client-go.
func startEnvWith(t *testing.T, opts localcluster.Options) *env {
	t.Helper()
	x := ctrltest.StartEnv(t, ctrltest.EnvOptions{Cluster: opts, QPS: -1})
	if err := x.Cluster.CreateNamespace(t.Context(), testNamespace); err != nil {
		t.Fatal(err)
	}
	return &env{x}
}
