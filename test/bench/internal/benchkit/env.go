package benchkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

// Namespace holds every object a benchmark creates.
const Namespace = "bench"

// Env is a local control plane with the ScalingPolicy CRD installed and the benchmark
// namespace created.
type Env struct {
	Cluster *localcluster.Cluster
	// Client is an admin client (not counted) knowing built-in types and ScalingPolicy.
	Client client.Client
	// Node is the kwok node pods are pinned to (there is no scheduler).
	Node string
}

// StartEnv starts the control plane with one kwok node. Stop the Cluster when done.
func StartEnv(ctx context.Context) (*Env, error) {
	c, err := localcluster.Start(ctx, localcluster.Options{Nodes: 1})
	if err != nil {
		return nil, fmt.Errorf("starting the local control plane (bin/ built by make tools?): %w", err)
	}
	e := &Env{Cluster: c, Node: c.Nodes()[0]}
	if err := e.setUp(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return e, nil
}

func (e *Env) setUp(ctx context.Context) error {
	cfg := e.Cluster.RESTConfig()
	var err error
	if e.Client, err = client.New(cfg, client.Options{Scheme: Scheme()}); err != nil {
		return fmt.Errorf("creating the admin client: %w", err)
	}
	if err := e.Cluster.CreateNamespace(ctx, Namespace); err != nil {
		return err
	}
	return installCRD(ctx, cfg)
}

// Scheme knows the built-in types and ScalingPolicy.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	// Both only add static types; they cannot fail.
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	return s
}

// installCRD creates the ScalingPolicy CRD generated into config/crd/bases and waits until
// it is served.
func installCRD(ctx context.Context, cfg *rest.Config) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(root, "config", "crd", "bases", "fluxscale.dev_scalingpolicies.yaml"))
	if err != nil {
		return fmt.Errorf("reading the ScalingPolicy CRD (make manifests generates it): %w", err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(raw, crd); err != nil {
		return fmt.Errorf("decoding the ScalingPolicy CRD: %w", err)
	}
	cs, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating the ScalingPolicy CRD: %w", err)
	}
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
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
}

// moduleRoot finds the directory holding go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run the benchmark from the repository")
		}
		dir = parent
	}
}
