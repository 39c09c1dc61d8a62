package hints

import (
	"context"
	"fmt"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// Reviewer asks the API server who a token belongs to and what that user may do. The
// controller's service account needs create on tokenreviews (authentication.k8s.io) and
// subjectaccessreviews (authorization.k8s.io).
type Reviewer interface {
	// ReviewToken returns the TokenReview status for token, checked for audiences. An
	// invalid token is a status with Authenticated false, not an error.
	ReviewToken(ctx context.Context, token string, audiences []string) (authnv1.TokenReviewStatus, error)
	// ReviewAccess returns the SubjectAccessReview status for spec.
	ReviewAccess(ctx context.Context, spec authzv1.SubjectAccessReviewSpec) (authzv1.SubjectAccessReviewStatus, error)
}

// KubeReviewer is the Reviewer of a Kubernetes API server.
type KubeReviewer struct {
	tokens authnclient.TokenReviewsGetter
	access authzclient.SubjectAccessReviewsGetter
}

var _ Reviewer = (*KubeReviewer)(nil)

// NewKubeReviewer returns a Reviewer over a clientset's AuthenticationV1 and
// AuthorizationV1 clients.
func NewKubeReviewer(tokens authnclient.TokenReviewsGetter, access authzclient.SubjectAccessReviewsGetter) *KubeReviewer {
	return &KubeReviewer{tokens: tokens, access: access}
}

// ReviewToken creates a TokenReview.
func (k *KubeReviewer) ReviewToken(ctx context.Context, token string, audiences []string) (authnv1.TokenReviewStatus, error) {
	tr := &authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token, Audiences: audiences}}
	out, err := k.tokens.TokenReviews().Create(ctx, tr, metav1.CreateOptions{})
	if err != nil {
		return authnv1.TokenReviewStatus{}, fmt.Errorf("creating TokenReview: %w", err)
	}
	return out.Status, nil
}

// ReviewAccess creates a SubjectAccessReview.
func (k *KubeReviewer) ReviewAccess(ctx context.Context, spec authzv1.SubjectAccessReviewSpec) (authzv1.SubjectAccessReviewStatus, error) {
	sar := &authzv1.SubjectAccessReview{Spec: spec}
	out, err := k.access.SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
	if err != nil {
		return authzv1.SubjectAccessReviewStatus{}, fmt.Errorf("creating SubjectAccessReview: %w", err)
	}
	return out.Status, nil
}

// accessSpec is the review of user doing verb on the hints subresource of one policy.
func accessSpec(user authnv1.UserInfo, verb, namespace, name string) authzv1.SubjectAccessReviewSpec {
	var extra map[string]authzv1.ExtraValue
	if len(user.Extra) > 0 {
		extra = make(map[string]authzv1.ExtraValue, len(user.Extra))
		for k, v := range user.Extra {
			extra[k] = authzv1.ExtraValue(v)
		}
	}
	return authzv1.SubjectAccessReviewSpec{
		ResourceAttributes: &authzv1.ResourceAttributes{
			Namespace:   namespace,
			Verb:        verb,
			Group:       v1alpha1.GroupVersion.Group,
			Resource:    "scalingpolicies",
			Subresource: "hints",
			Name:        name,
		},
		User:   user.Username,
		Groups: user.Groups,
		UID:    user.UID,
		Extra:  extra,
	}
}
