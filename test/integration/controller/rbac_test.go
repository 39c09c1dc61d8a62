package controller_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/ctrltest"
	"github.com/fluxscale/fluxscale/test/minicluster"
)

// The controller runs as the ServiceAccount config/rbac binds, with the generated
// least-privilege ClusterRole and leader election in fluxscale-system, and still scales a
// bare Indexed Job and a MiniCluster (through /scale) and records its events: nothing it
// does needs a permission the markers in autoscaler/rbac.go do not grant.
func TestControllerRunsWithItsOwnRBAC(t *testing.T) {
	e := startEnv(t)
	minicluster.StartForTest(t, e.Config, minicluster.StandInOptions{NodeName: e.Node})
	const system = "fluxscale-system"
	if err := e.Cluster.CreateNamespace(t.Context(), system); err != nil {
		t.Fatal(err)
	}
	applyManifests(t, e, filepath.Join("..", "..", "..", "config", "manager", "service_account.yaml"),
		filepath.Join("..", "..", "..", "config", "rbac", "role.yaml"), filepath.Join("..", "..", "..", "config", "rbac", "role_binding.yaml"))
	tok, err := e.Cluster.Client().CoreV1().ServiceAccounts(system).CreateToken(t.Context(), "fluxscale-controller",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	saCfg := rest.AnonymousClientConfig(e.Config)
	saCfg.BearerToken = tok.Status.Token
	saCfg.QPS = -1

	jobSim, mcSim := ctrltest.NewSim(t, 4), ctrltest.NewSim(t, 4)
	createIndexedJob(t, e, "work", 2)
	startMirror(t, e, jobSim, "work")
	mc := &minicluster.MiniCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "flux-sample", Namespace: testNamespace},
		Spec:       minicluster.Spec{Size: 2, MaxSize: 4, Containers: []minicluster.Container{{Image: "flux:test"}}},
	}
	if err := e.Client.Create(t.Context(), mc); err != nil {
		t.Fatal(err)
	}
	startMirror(t, e, mcSim, "flux-sample")
	rc := startControllerWith(t, e, simSources{"job-policy": jobSim, "mc-policy": mcSim},
		controllerSetup{cfg: saCfg, leaderNamespace: system})

	mcPolicy := jobPolicy("mc-policy", "flux-sample", 2, 4)
	mcPolicy.Spec.TargetRef = v1alpha1.TargetRef{APIVersion: "flux-framework.org/v1alpha2", Kind: "MiniCluster", Name: "flux-sample"}
	for _, sp := range []*v1alpha1.ScalingPolicy{jobPolicy("job-policy", "work", 2, 4), mcPolicy} {
		if err := e.Client.Create(t.Context(), sp); err != nil {
			t.Fatal(err)
		}
	}
	ctrltest.Eventually(t, time.Minute, "both Flux clusters at 2 ranks", func(context.Context) (bool, string) {
		return jobSim.Size() == 2 && mcSim.Size() == 2, fmt.Sprintf("sizes %d, %d", jobSim.Size(), mcSim.Size())
	})
	ctrltest.Submit(t, jobSim, 1, 4, 10*time.Minute)
	ctrltest.Submit(t, mcSim, 1, 4, 10*time.Minute)
	for _, job := range []string{"work", "flux-sample"} {
		ctrltest.Eventually(t, time.Minute, "Job "+job+" grown to 4", func(ctx context.Context) (bool, string) {
			p, msg := jobParallelism(ctx, e, job)
			return p == 4, fmt.Sprintf("parallelism %d %s", p, msg)
		})
	}
	for _, name := range []string{"job-policy", "mc-policy"} {
		ctrltest.Eventually(t, 10*time.Second, "a SuccessfulRescale event on "+name, func(ctx context.Context) (bool, string) {
			evs, err := policyEvents(ctx, e, name)
			if err != nil {
				return false, err.Error()
			}
			return eventCounts(evs)[v1alpha1.EventSuccessfulRescale] == 1, describe(evs)
		})
	}
	if logs := rc.Logs(); strings.Contains(logs, "forbidden") {
		t.Errorf("the controller was refused something its RBAC should allow:\n%s", logs)
	}
}

// applyManifests creates every object of the given multi-document YAML files as the admin.
func applyManifests(t *testing.T, e *env, files ...string) {
	t.Helper()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
		for {
			var u unstructured.Unstructured
			if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(u.Object) == 0 {
				continue
			}
			if err := e.Client.Create(t.Context(), &u); err != nil {
				t.Fatalf("%s: creating %s %s: %v", f, u.GetKind(), u.GetName(), err)
			}
		}
	}
}
