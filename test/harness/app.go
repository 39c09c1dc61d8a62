package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/hints"
)

// App is an application running inside a MiniCluster that posts scale hints for one policy,
// authenticated as its ServiceAccount with a token of the hint API's audience, as a pod's
// projected token would be.
type App struct {
	// Subject is the ServiceAccount's username, e.g. system:serviceaccount:ns:app.
	Subject string

	url   string
	base  string // the policies' URL prefix, ending in /scalingpolicies/
	token string
	http  *http.Client
}

// NewApp creates ServiceAccount serviceAccount, a Role allowing only create on the hints of
// policy and its RoleBinding, waits until the API server's authorizer sees the grant, and
// requests a token for the hint API's audience.
func (h *Harness) NewApp(ctx context.Context, serviceAccount, policy string) (*App, error) {
	ns := h.Namespace
	objs := []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: serviceAccount, Namespace: ns}},
		&rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: serviceAccount + "-hints", Namespace: ns},
			Rules: []rbacv1.PolicyRule{{
				APIGroups: []string{v1alpha1.GroupVersion.Group}, Resources: []string{"scalingpolicies/hints"},
				Verbs: []string{"create"}, ResourceNames: []string{policy},
			}},
		},
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: serviceAccount + "-hints", Namespace: ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: serviceAccount + "-hints"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: serviceAccount, Namespace: ns}},
		},
	}
	for _, o := range objs {
		if err := h.Client.Create(ctx, o); err != nil {
			return nil, fmt.Errorf("creating %T %s for the application: %w", o, o.GetName(), err)
		}
	}
	subject := "system:serviceaccount:" + ns + ":" + serviceAccount
	if err := h.waitAllowed(ctx, subject, policy); err != nil {
		return nil, err
	}
	tr, err := h.Clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, serviceAccount, &authnv1.TokenRequest{
		Spec: authnv1.TokenRequestSpec{Audiences: []string{hints.DefaultAudience}, ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("requesting a token for ServiceAccount %s: %w", serviceAccount, err)
	}
	base := h.Controller.HintURL + "/v1/namespaces/" + url.PathEscape(ns) + "/scalingpolicies/"
	a := &App{Subject: subject, base: base, token: tr.Status.Token, http: &http.Client{Timeout: 30 * time.Second}}
	return a.ForPolicy(policy), nil
}

// waitAllowed waits until a SubjectAccessReview allows subject to create the policy's
// hints: RBAC objects reach the API server's authorizer through its informers, a moment
// after they are created.
func (h *Harness) waitAllowed(ctx context.Context, subject, policy string) error {
	sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User:   subject,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + h.Namespace, "system:authenticated"},
		ResourceAttributes: &authzv1.ResourceAttributes{
			Namespace: h.Namespace, Verb: "create", Group: v1alpha1.GroupVersion.Group,
			Resource: "scalingpolicies", Subresource: "hints", Name: policy,
		},
	}}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := h.Clientset.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		return err == nil && got.Status.Allowed, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %s to be allowed to post hints to %s: %w", subject, policy, err)
	}
	return nil
}

// ForPolicy returns the application posting to another policy of the namespace, with the
// same token: the hint API must refuse it unless the Role names that policy too.
func (a *App) ForPolicy(policy string) *App {
	b := *a
	b.url = b.base + url.PathEscape(policy) + "/hints"
	return &b
}

// HintError is a hint API answer other than 202 Accepted.
type HintError struct {
	StatusCode int
	Body       string
}

func (e *HintError) Error() string {
	return fmt.Sprintf("hint API answered %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Body)
}

// PostHint posts a hint for size nodes lasting ttl (whole seconds), as `fluxscale hint` does.
func (a *App) PostHint(ctx context.Context, size int32, ttl time.Duration, reason string) (hints.PostResponse, error) {
	body, err := json.Marshal(hints.HintRequest{Size: &size, TTLSeconds: ptr.To(int32(ttl / time.Second)), Reason: reason})
	if err != nil {
		return hints.PostResponse{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return hints.PostResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		return hints.PostResponse{}, fmt.Errorf("posting a hint: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return hints.PostResponse{}, fmt.Errorf("reading the hint API's answer: %w", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		return hints.PostResponse{}, &HintError{StatusCode: resp.StatusCode, Body: string(bytes.TrimSpace(raw))}
	}
	var out hints.PostResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return hints.PostResponse{}, fmt.Errorf("decoding the hint API's answer %q: %w", raw, err)
	}
	return out, nil
}
