package ctrltest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/harness"
	"github.com/fluxscale/fluxscale/test/localcluster"
	"github.com/fluxscale/fluxscale/test/minicluster"
)

// Env is a running control plane with the ScalingPolicy CRD installed.
type Env struct {
	Cluster *localcluster.Cluster
	// Config is the cluster admin's; Client and a controller started with it use it.
	Config *rest.Config
	// Client knows the built-in types, ScalingPolicy and the test MiniCluster.
	Client client.Client
	// Node is the kwok node test pods are pinned to (there is no scheduler).
	Node string
}

// EnvOptions configure StartEnv.
type EnvOptions struct {
	// Cluster are the local control plane's options (nodes, what pods/exec runs).
	Cluster localcluster.Options
	// QPS, when not 0, is the admin config's client-side rate limit (-1: none, so tests that
	// poll often measure the API server, not client-go's throttling).
	QPS float32
}

// StartEnv starts a control plane that stops with the test, and installs the CRD.
func StartEnv(t *testing.T, opts EnvOptions) *Env {
	t.Helper()
	c := localcluster.StartForTest(t, opts.Cluster)
	cfg := c.RESTConfig()
	if opts.QPS != 0 {
		cfg.QPS = opts.QPS
	}
	e, err := NewEnv(t.Context(), c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// NewEnv installs the ScalingPolicy CRD on a started cluster and returns its Env, with an
// admin client using cfg.
func NewEnv(ctx context.Context, c *localcluster.Cluster, cfg *rest.Config) (*Env, error) {
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	cl, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("creating the admin client: %w", err)
	}
	root, err := localcluster.ModuleRoot()
	if err != nil {
		return nil, err
	}
	if err := harness.InstallScalingPolicyCRD(ctx, cfg, root); err != nil {
		return nil, err
	}
	return &Env{Cluster: c, Config: cfg, Client: cl, Node: c.Nodes()[0]}, nil
}

// Scheme knows the built-in types, ScalingPolicy and the test MiniCluster.
func Scheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme, minicluster.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, fmt.Errorf("building the test scheme: %w", err)
		}
	}
	return scheme, nil
}

// Eventually polls cond every 50 ms until it holds or timeout passes, then fails the test
// with what cond last said.
func Eventually(t *testing.T, timeout time.Duration, what string, cond func(ctx context.Context) (bool, string)) {
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
