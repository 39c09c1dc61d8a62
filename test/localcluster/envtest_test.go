package localcluster_test

import (
	"testing"

	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/fluxscale/fluxscale/test/localcluster"
)

// Other packages run API integration tests on controller-runtime's envtest; this guards that
// it keeps starting with the etcd and kube-apiserver that `make tools` builds.
func TestEnvtestWithOurBinaries(t *testing.T) {
	env := &envtest.Environment{BinaryAssetsDirectory: localcluster.BinDir()}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting envtest (run `make tools` if binaries are missing): %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("envtest kube-apiserver %s", v.GitVersion)
}
