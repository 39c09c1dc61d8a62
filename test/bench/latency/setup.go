package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
)

// serveAgent serves sim through the real agent HTTP server on loopback until ctx ends and
// returns its base URL.
func serveAgent(ctx context.Context, sim *simulated.Cluster) (string, error) {
	server, err := agent.NewServer(agent.Options{Source: sim})
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening for the agent: %w", err)
	}
	hs := &http.Server{Handler: server.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go server.Run(ctx)
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("agent server stopped:", err)
		}
	}()
	go func() {
		<-ctx.Done()
		_ = hs.Close() // long-polls in flight would hold a Shutdown for their whole wait
	}()
	return "http://" + ln.Addr().String(), nil
}

// appToken creates ServiceAccount "app" allowed to post hints to the named policies, waits
// until the authorizer sees the grant, and returns a token of the hint API's audience, as
// an application's projected token would be.
func appToken(ctx context.Context, e *benchkit.Env, policies ...string) (string, error) {
	ns := benchkit.Namespace
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns}}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "app-hints", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{v1alpha1.GroupVersion.Group}, Resources: []string{"scalingpolicies/hints"},
			Verbs: []string{"create"}, ResourceNames: policies}},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "app-hints", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "app-hints"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "app", Namespace: ns}},
	}
	if err := e.Client.Create(ctx, sa); err != nil {
		return "", fmt.Errorf("creating the application's ServiceAccount: %w", err)
	}
	if err := e.Client.Create(ctx, role); err != nil {
		return "", fmt.Errorf("creating the hint Role: %w", err)
	}
	if err := e.Client.Create(ctx, binding); err != nil {
		return "", fmt.Errorf("creating the hint RoleBinding: %w", err)
	}
	cs := e.Cluster.Client()
	for _, p := range policies {
		sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User:   "system:serviceaccount:" + ns + ":app",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			ResourceAttributes: &authzv1.ResourceAttributes{Namespace: ns, Verb: "create", Group: v1alpha1.GroupVersion.Group,
				Resource: "scalingpolicies", Subresource: "hints", Name: p},
		}}
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			got, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
			return err == nil && got.Status.Allowed, nil
		})
		if err != nil {
			return "", fmt.Errorf("waiting for the application to be allowed to post hints to %s: %w", p, err)
		}
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "app", &authnv1.TokenRequest{
		Spec: authnv1.TokenRequestSpec{Audiences: []string{hints.DefaultAudience}, ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting the application's token: %w", err)
	}
	return tr.Status.Token, nil
}
