package minicluster

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

//go:embed miniclusters.crd.yaml
var crdYAML []byte

// establishTimeout bounds the wait for the API server to serve the CRD; it normally takes
// well under a second.
const establishTimeout = 30 * time.Second

// CRD returns a fresh copy of the test MiniCluster CRD, e.g. for
// envtest.Environment{CRDs: ...}.
func CRD() (*apiextensionsv1.CustomResourceDefinition, error) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(crdYAML, crd); err != nil {
		return nil, fmt.Errorf("decoding the embedded MiniCluster CRD: %w", err)
	}
	return crd, nil
}

// Install creates the test MiniCluster CRD and returns once the API server serves it
// (condition Established). A CRD of the same name that already exists is accepted as is, so
// several tests may install it into one cluster.
func Install(ctx context.Context, cfg *rest.Config) error {
	crd, err := CRD()
	if err != nil {
		return err
	}
	client, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating apiextensions client: %w", err)
	}
	crds := client.ApiextensionsV1().CustomResourceDefinitions()
	if _, err := crds.Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating CRD %s: %w", crd.Name, err)
	}
	var last *apiextensionsv1.CustomResourceDefinition
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, establishTimeout, true, func(ctx context.Context) (bool, error) {
		got, err := crds.Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = got
		return established(got), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for CRD %s to be Established (conditions %v): %w", crd.Name, conditionsOf(last), err)
	}
	return nil
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

func conditionsOf(crd *apiextensionsv1.CustomResourceDefinition) []apiextensionsv1.CustomResourceDefinitionCondition {
	if crd == nil {
		return nil
	}
	return crd.Status.Conditions
}
