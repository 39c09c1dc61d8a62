package reliability

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/ctrltest"
	"github.com/fluxscale/fluxscale/test/minicluster"
)

// The MiniCluster CRD is deleted while a policy targets a MiniCluster (run by the STAND-IN
// operator of test/minicluster, not the Flux Operator): the policy says AbleToScale False
// and the controller keeps running. Re-installed, with the MiniCluster created again, the
// controller scales it again.
func testDeletedCRD(t *testing.T, e *env, srcs *sources) {
	ns := e.namespace(t, "api-crd")
	if err := minicluster.Install(t.Context(), e.Config); err != nil {
		t.Fatal(err)
	}
	startStandIn(t, e)
	sim := ctrltest.NewSim(t, 4)
	srcs.add("p-crd", sim)
	startMirror(t, e, sim, ns, "mc")
	if err := e.Client.Create(t.Context(), builders.MakeMiniCluster("mc", ns).Size(1).MaxSize(4).Obj()); err != nil {
		t.Fatal(err)
	}
	p := jobPolicy(ns, "p-crd", "mc", 4)
	p.Spec.TargetRef = v1alpha1.TargetRef{APIVersion: minicluster.GroupVersion.String(), Kind: minicluster.Kind, Name: "mc"}
	if err := e.Client.Create(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, time.Minute, "1 Flux rank up", func(context.Context) (bool, string) {
		return sim.Size() == 1, fmt.Sprintf("size %d", sim.Size())
	})
	// The jobs outlast the test: on a loaded machine one-minute jobs ended before the new
	// MiniCluster was read, and the queue then asked for 1, not 4 (2026-12-03).
	ctrltest.Submit(t, sim, 1, 3, 10*time.Minute)
	ctrltest.Eventually(t, 40*time.Second, "the MiniCluster grown to 3", func(ctx context.Context) (bool, string) {
		n, msg := miniClusterSize(ctx, e, ns, "mc")
		return n == 3, fmt.Sprintf("spec.size %d %s", n, msg)
	})

	crds, err := apiextensionsclient.NewForConfig(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	name := minicluster.GroupVersion.Group
	name = "miniclusters." + name
	if err := crds.ApiextensionsV1().CustomResourceDefinitions().Delete(t.Context(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, 30*time.Second, "the CRD gone", func(ctx context.Context) (bool, string) {
		_, err := crds.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	ctrltest.Eventually(t, 30*time.Second, "AbleToScale False for the missing kind or object", func(ctx context.Context) (bool, string) {
		ok, msg := conditionIs(ctx, e, ns, "p-crd", v1alpha1.ConditionAbleToScale, "False/"+v1alpha1.ReasonTargetKindUnknown)
		ok2, _ := conditionIs(ctx, e, ns, "p-crd", v1alpha1.ConditionAbleToScale, "False/"+v1alpha1.ReasonTargetNotFound)
		return ok || ok2, msg
	})
	t.Logf("with the CRD deleted: AbleToScale %s", func() string {
		_, msg := conditionIs(t.Context(), e, ns, "p-crd", v1alpha1.ConditionAbleToScale, "")
		return msg
	}())

	if err := minicluster.Install(t.Context(), e.Config); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, 30*time.Second, "the MiniCluster created again", func(ctx context.Context) (bool, string) {
		err := e.Client.Create(ctx, builders.MakeMiniCluster("mc", ns).Size(3).MaxSize(4).Obj())
		return err == nil, fmt.Sprint(err)
	})
	ctrltest.Submit(t, sim, 4, 1, 10*time.Minute)
	ctrltest.Eventually(t, 40*time.Second, "the new MiniCluster grown to 4 and AbleToScale True", func(ctx context.Context) (bool, string) {
		n, msg := miniClusterSize(ctx, e, ns, "mc")
		ok, cmsg := conditionIs(ctx, e, ns, "p-crd", v1alpha1.ConditionAbleToScale, "True/"+v1alpha1.ReasonSucceededRescale)
		if again, _ := conditionIs(ctx, e, ns, "p-crd", v1alpha1.ConditionAbleToScale, "True/"+v1alpha1.ReasonReadyForNewScale); again {
			ok = true // a later pass moved the condition on
		}
		return n == 4 && ok, fmt.Sprintf("spec.size %d %s; %s", n, msg, cmsg)
	})
}

// miniClusterSize reads a MiniCluster's spec.size; -1 and why when it cannot.
func miniClusterSize(ctx context.Context, e *env, ns, name string) (int64, string) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(minicluster.GroupVersion.WithKind(minicluster.Kind))
	if err := e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		return -1, err.Error()
	}
	n, found, err := unstructured.NestedInt64(u.Object, "spec", "size")
	if !found || err != nil {
		return -1, fmt.Sprintf("spec.size not an integer: %v", err)
	}
	return n, ""
}

// startStandIn runs the stand-in MiniCluster operator until the test ends; it must keep
// running (its informers retry) while its CRD is deleted and re-installed.
func startStandIn(t *testing.T, e *env) {
	t.Helper()
	mgr, err := minicluster.NewStandInManager(e.Config, minicluster.StandInOptions{NodeName: e.Node}, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !strings.Contains(err.Error(), "context canceled") {
			t.Errorf("stand-in operator: %v", err)
		}
	})
}
