package api

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/localcluster"
	"github.com/fluxscale/fluxscale/test/minicluster"
)

// repoRoot is where config/ lives, relative to this package.
const repoRoot = "../../.."

// startAPIServer starts etcd and kube-apiserver with the ScalingPolicy CRD installed and
// returns a client whose scheme knows ScalingPolicy. It fails, never skips, when the
// binaries are missing.
func startAPIServer(t *testing.T) (*rest.Config, client.Client) {
	t.Helper()
	bin := localcluster.BinDir()
	for _, name := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			t.Fatalf("%s not found in %q: run `make tools` at the repo root (or set FLUXSCALE_BIN): %v", name, bin, err)
		}
	}
	// The sample MiniCluster needs the test MiniCluster CRD.
	miniClusterCRD, err := minicluster.CRD()
	if err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{
		CRDs:                  []*apiextensionsv1.CustomResourceDefinition{miniClusterCRD},
		BinaryAssetsDirectory: bin,
		CRDDirectoryPaths:     []string{filepath.Join(repoRoot, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		// A cold apiserver on two busy cores can take longer than the 20 s default.
		ControlPlaneStartTimeout: 2 * time.Minute,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatalf("creating client: %v", err)
	}
	return cfg, c
}

// createNamespace creates a namespace for one subtest. envtest runs no controllers, so
// nothing deletes it; the API server goes away with the test anyway.
func createNamespace(t *testing.T, c client.Client, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(t.Context(), ns); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}
