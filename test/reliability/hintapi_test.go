package reliability

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// startHintServer serves the hint API on loopback with real token and access reviews, and
// limits loose enough that the table never meets them.
func startHintServer(t *testing.T, e *env, store *hints.Store) string {
	t.Helper()
	cs := e.Cluster.Client()
	srv := hints.NewServer(store, e.Client, hints.NewKubeReviewer(cs.AuthenticationV1(), cs.AuthorizationV1()),
		clock.RealClock{}, hints.Options{Rate: 1000, Burst: 1000, ReviewRate: 1000, ReviewBurst: 1000})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("hint server: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// postHint sends one request to the hint API and returns its status and body.
func postHint(t *testing.T, base, method, ns, policy, token, body string) (int, string) {
	t.Helper()
	u := base + "/v1/namespaces/" + ns + "/scalingpolicies/" + policy + "/hints"
	req, err := http.NewRequestWithContext(t.Context(), method, u, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(out)
}

// serviceAccountWithHintGrant creates a ServiceAccount that may create, list and delete
// hints of the named policies only.
func serviceAccountWithHintGrant(t *testing.T, e *env, ns, name string, policies []string) {
	t.Helper()
	cs := e.Cluster.Client()
	ctx := t.Context()
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	meta := metav1.ObjectMeta{Name: name, Namespace: ns}
	role := &rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{APIGroups: []string{"fluxscale.dev"},
		Resources: []string{"scalingpolicies/hints"}, Verbs: []string{"create", "list", "delete"}, ResourceNames: policies}}}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: meta, Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: ns}},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// saToken requests a token of ServiceAccount ns/name (TokenRequest); no audience means the
// API server's own.
func saToken(t *testing.T, e *env, ns, name string, audiences ...string) string {
	t.Helper()
	tr := &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{Audiences: audiences, ExpirationSeconds: ptr.To[int64](3600)}}
	var out *authnv1.TokenRequest
	ctrltest.Eventually(t, 20*time.Second, "a token for "+ns+"/"+name, func(ctx context.Context) (bool, string) {
		var err error
		out, err = e.Cluster.Client().CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, tr, metav1.CreateOptions{})
		return err == nil, fmt.Sprint(err)
	})
	return out.Status.Token
}
