package hints_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

const ns = "apps"

// TestHintAPIOnRealAPIServer runs the hint server with the controller's least privilege
// against a real kube-apiserver: real service account tokens (TokenRequest), TokenReview,
// RBAC through SubjectAccessReview, and the ScalingPolicy read from a controller-runtime
// cache of the CRD that `make manifests` generates.
func TestHintAPIOnRealAPIServer(t *testing.T) {
	c := localcluster.StartForTest(t, localcluster.Options{})
	admin := c.RESTConfig()
	cs := c.Client()
	ctx := t.Context()
	installCRD(t, admin)
	if err := c.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateNamespace(ctx, "fluxscale-system"); err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	adminClient, err := client.New(admin, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*v1alpha1.ScalingPolicy{policy("flux-sample", true), policy("quiet", false), policy("other", true)} {
		if err := adminClient.Create(ctx, p); err != nil {
			t.Fatalf("creating ScalingPolicy %s: %v", p.Name, err)
		}
	}

	// The controller's identity holds only what the hint server needs.
	serviceAccount(t, cs, "fluxscale-system", "controller", "cluster", []rbacv1.PolicyRule{
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
		{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}},
		{APIGroups: []string{"fluxscale.dev"}, Resources: []string{"scalingpolicies"}, Verbs: []string{"get", "list", "watch"}},
	})
	hintRule := func(verbs ...string) []rbacv1.PolicyRule {
		return []rbacv1.PolicyRule{{APIGroups: []string{"fluxscale.dev"}, Resources: []string{"scalingpolicies/hints"},
			Verbs: verbs, ResourceNames: []string{"flux-sample", "quiet", "missing"}}}
	}
	serviceAccount(t, cs, ns, "app", "", hintRule("create", "list", "delete"))
	serviceAccount(t, cs, ns, "reader", "", hintRule("list"))
	serviceAccount(t, cs, ns, "flooder", "", hintRule("list"))
	serviceAccount(t, cs, ns, "stranger", "", nil)

	controllerCfg := asServiceAccount(admin, token(t, cs, "fluxscale-system", "controller"))
	controllerCS, err := kubernetes.NewForConfig(controllerCfg)
	if err != nil {
		t.Fatal(err)
	}
	policies, err := cache.New(controllerCfg, cache.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = policies.Start(ctx) }()
	if !policies.WaitForCacheSync(ctx) {
		t.Fatal("the policy cache did not sync")
	}
	// A fake clock makes the rate limit exact: no token refills during the test.
	clk := clocktesting.NewFakeClock(time.Now())
	store := hints.NewStore(clk, hints.StoreOptions{})
	srv := hints.NewServer(store, policies, hints.NewKubeReviewer(controllerCS.AuthenticationV1(), controllerCS.AuthorizationV1()),
		clk, hints.Options{Rate: 1, Burst: 5})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, ln) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	as := func(tok string) *hints.Client { return &hints.Client{BaseURL: base, Token: tok} }
	appToken := token(t, cs, ns, "app", "fluxscale")
	key := types.NamespacedName{Namespace: ns, Name: "flux-sample"}

	t.Run("granted service account gets 202", func(t *testing.T) {
		start := time.Now()
		resp, err := as(appToken).Post(ctx, key, hints.HintRequest{Size: ptr.To[int32](4), TTLSeconds: ptr.To[int32](600), Reason: "40 jobs queued"})
		if err != nil {
			t.Fatalf("Post: %v", err)
		}
		t.Logf("POST accepted in %v (TokenReview + SubjectAccessReview + cache read)", time.Since(start).Round(time.Microsecond))
		if resp.Size != 4 || resp.Mode != v1alpha1.HintFloor {
			t.Errorf("response %+v, want size 4 Floor", resp)
		}
		got := store.List(key)
		if len(got) != 1 || got[0].Subject != "system:serviceaccount:apps:app" || got[0].ID != resp.ID {
			t.Errorf("stored hints %+v, want one from system:serviceaccount:apps:app with id %s", got, resp.ID)
		}
		select {
		case ev := <-store.Triggers():
			if ev.Object.GetName() != "flux-sample" || ev.Object.GetNamespace() != ns {
				t.Errorf("trigger for %s/%s", ev.Object.GetNamespace(), ev.Object.GetName())
			}
		default:
			t.Error("no trigger after the POST")
		}
	})
	t.Run("list-only grant may list, not post", func(t *testing.T) {
		readerToken := token(t, cs, ns, "reader", "fluxscale")
		hs, err := as(readerToken).List(ctx, key)
		if err != nil || len(hs) != 1 {
			t.Fatalf("List = %+v, %v; want the app's hint", hs, err)
		}
		_, err = as(readerToken).Post(ctx, key, hints.HintRequest{Size: ptr.To[int32](2)})
		wantStatus(t, err, 403, "user system:serviceaccount:apps:reader cannot create scalingpolicies/hints in namespace apps")
	})
	t.Run("service account without the grant gets 403", func(t *testing.T) {
		_, err := as(token(t, cs, ns, "stranger", "fluxscale")).Post(ctx, key, hints.HintRequest{Size: ptr.To[int32](2)})
		wantStatus(t, err, 403, "user system:serviceaccount:apps:stranger cannot create scalingpolicies/hints")
	})
	t.Run("grant for other policies only gets 403", func(t *testing.T) {
		_, err := as(appToken).Post(ctx, types.NamespacedName{Namespace: ns, Name: "other"}, hints.HintRequest{Size: ptr.To[int32](2)})
		wantStatus(t, err, 403, "(policy other)")
	})
	t.Run("no token gets 401", func(t *testing.T) {
		_, err := as("").Post(ctx, key, hints.HintRequest{Size: ptr.To[int32](2)})
		wantStatus(t, err, 401, "missing bearer token")
	})
	t.Run("token for the API server's audience gets 401", func(t *testing.T) {
		_, err := as(token(t, cs, ns, "app")).Post(ctx, key, hints.HintRequest{Size: ptr.To[int32](2)})
		wantStatus(t, err, 401, "token rejected")
	})
	t.Run("garbage body gets 400", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/namespaces/apps/scalingpolicies/flux-sample/hints", bytes.NewBufferString(`{"size": "lots"`))
		req.Header.Set("Authorization", "Bearer "+appToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || !strings.Contains(string(body), `"error":`) {
			t.Errorf("got %d %s, want 400 with a JSON error", resp.StatusCode, body)
		}
	})
	t.Run("unknown policy gets 404, disabled hints 409", func(t *testing.T) {
		_, err := as(appToken).Post(ctx, types.NamespacedName{Namespace: ns, Name: "missing"}, hints.HintRequest{Size: ptr.To[int32](2)})
		wantStatus(t, err, 404, "ScalingPolicy missing not found in namespace apps")
		_, err = as(appToken).Post(ctx, types.NamespacedName{Namespace: ns, Name: "quiet"}, hints.HintRequest{Size: ptr.To[int32](2)})
		wantStatus(t, err, 409, "hints are disabled for policy apps/quiet: set spec.hints.enabled")
	})
	t.Run("delete removes the caller's hint", func(t *testing.T) {
		// The app has spent its burst of 5 above; 10 s refill its bucket.
		clk.Step(10 * time.Second)
		if err := as(appToken).Delete(ctx, key); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		wantStatus(t, as(appToken).Delete(ctx, key), 404, "has no active hint")
	})
	t.Run("a flood gets 429", func(t *testing.T) {
		c := as(token(t, cs, ns, "flooder", "fluxscale"))
		var codes []int
		var allowed time.Duration
		for range 8 {
			start := time.Now()
			_, err := c.List(ctx, key)
			if err == nil {
				allowed += time.Since(start)
			}
			var se *hints.StatusError
			switch {
			case err == nil:
				codes = append(codes, 200)
			case errors.As(err, &se):
				codes = append(codes, se.Code)
			default:
				t.Fatal(err)
			}
		}
		t.Logf("mean GET with TokenReview + SubjectAccessReview on a warm connection: %v", (allowed / 5).Round(time.Microsecond))
		want := []int{200, 200, 200, 200, 200, 429, 429, 429}
		if !slices.Equal(codes, want) {
			t.Errorf("statuses %v, want %v (burst 5, no refill on the fake clock)", codes, want)
		}
	})
}

func policy(name string, hintsEnabled bool) *v1alpha1.ScalingPolicy {
	p := &v1alpha1.ScalingPolicy{}
	p.Name, p.Namespace = name, ns
	p.Spec.TargetRef = v1alpha1.TargetRef{APIVersion: "flux-framework.org/v1alpha2", Kind: "MiniCluster", Name: name}
	p.Spec.MinSize, p.Spec.MaxSize = 1, 8
	p.Spec.Hints = v1alpha1.HintsSpec{Enabled: ptr.To(hintsEnabled), MaxTTLSeconds: 3600}
	return p
}

func wantStatus(t *testing.T, err error, code int, text string) {
	t.Helper()
	var se *hints.StatusError
	if !errors.As(err, &se) || se.Code != code || !strings.Contains(se.Message, text) {
		t.Errorf("error %v, want a %d containing %q", err, code, text)
	}
}
