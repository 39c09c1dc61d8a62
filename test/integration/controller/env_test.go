// Package controller_test runs the fluxscale controller in-process against a real control
// plane (etcd, kube-apiserver, kube-controller-manager's Job controller, kwok nodes and pods)
// with a simulated Flux cluster per policy in place of Flux.
package controller_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/localcluster"
	"github.com/fluxscale/fluxscale/test/minicluster"
)

// testNamespace holds every object of a test; each test has its own cluster.
const testNamespace = "team"

// TestMain gives controller-runtime's global logger a sink once: informers started after a
// manager (the MiniCluster watch) log through it. Each manager logs to its own test log.
func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	os.Exit(m.Run())
}

// env is a running control plane with the ScalingPolicy CRD installed.
type env struct {
	cluster *localcluster.Cluster
	cfg     *rest.Config
	// client knows the built-in types, ScalingPolicy and the test MiniCluster.
	client client.Client
	// node is the kwok node test pods are pinned to (there is no scheduler).
	node string
}

func startEnv(t *testing.T) *env {
	t.Helper()
	return startEnvWith(t, localcluster.Options{Nodes: 4})
}

// startEnvWith is startEnv with cluster options (e.g. what pods/exec runs).
func startEnvWith(t *testing.T, opts localcluster.Options) *env {
	t.Helper()
	c := localcluster.StartForTest(t, opts)
	cfg := c.RESTConfig()
	// No client-side rate limit, as controller-runtime's config loading sets for the
	// controller binary: the tests poll often, and throttled reads would measure client-go.
	cfg.QPS = -1
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme, minicluster.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	cl, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateNamespace(t.Context(), testNamespace); err != nil {
		t.Fatal(err)
	}
	installScalingPolicyCRD(t, cfg)
	return &env{cluster: c, cfg: cfg, client: cl, node: c.Nodes()[0]}
}

// installScalingPolicyCRD creates the CRD generated into config/crd/bases and waits until it
// is served.
func installScalingPolicyCRD(t *testing.T, cfg *rest.Config) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "config", "crd", "bases", "fluxscale.dev_scalingpolicies.yaml"))
	if err != nil {
		t.Fatalf("reading the CRD (generate it with go tool controller-gen crd paths=./api/... output:crd:artifacts:config=config/crd/bases): %v", err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(raw, crd); err != nil {
		t.Fatal(err)
	}
	cs, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range got.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("waiting for the ScalingPolicy CRD: %v", err)
	}
}

// eventually polls cond every 50 ms until it holds or timeout passes, then fails the test
// with what cond last said.
func eventually(t *testing.T, timeout time.Duration, what string, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		ok, msg := cond(ctx)
		last = msg
		return ok, nil
	})
	if err != nil {
		t.Fatalf("waiting %s for %s: %v; last: %s", timeout, what, err, last)
	}
}
