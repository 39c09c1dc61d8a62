package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// scalingPolicyCRD is the generated CRD, relative to the module root.
const scalingPolicyCRD = "config/crd/bases/fluxscale.dev_scalingpolicies.yaml"

// InstallScalingPolicyCRD creates the ScalingPolicy CRD from config/crd/bases, exactly as an
// admin installs it, and waits until the API server serves it.
func InstallScalingPolicyCRD(ctx context.Context, cfg *rest.Config, root string) error {
	path := filepath.Join(root, scalingPolicyCRD)
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the ScalingPolicy CRD (generate it with `make manifests`): %w", err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(raw, crd); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	cs, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating the apiextensions client: %w", err)
	}
	crds := cs.ApiextensionsV1().CustomResourceDefinitions()
	if _, err := crds.Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating CRD %s: %w", crd.Name, err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := crds.Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil // the API may answer errors while it starts serving the CRD
		}
		for _, c := range got.Status.Conditions {
			if c.Type == apiextensionsv1.Established {
				return c.Status == apiextensionsv1.ConditionTrue, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for CRD %s to be Established: %w", crd.Name, err)
	}
	return nil
}
