// Package hints holds the hint API's integration test: the hint server runs in-process with
// the controller's least-privilege service account against a real kube-apiserver
// (test/localcluster), so tokens, TokenReview, SubjectAccessReview and RBAC are the real ones.
package hints
