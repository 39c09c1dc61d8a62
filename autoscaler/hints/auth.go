package hints

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
)

// verbFor is the SubjectAccessReview verb a method needs on scalingpolicies/hints; ok is
// false for methods the API does not serve.
func verbFor(method string) (verb string, ok bool) {
	switch method {
	case http.MethodPost:
		return "create", true
	case http.MethodGet:
		return "list", true
	case http.MethodDelete:
		return "delete", true
	}
	return "", false
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header.
// audience goes into the error message, to tell the caller which token to send.
func bearerToken(r *http.Request, audience string) (string, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", &apiError{
			status:       http.StatusUnauthorized,
			msg:          "missing bearer token: send Authorization: Bearer <a service account token with audience " + audience + ">",
			authenticate: `Bearer realm="fluxscale"`,
		}
	}
	return token, nil
}

// authenticate returns who token belongs to.
func (s *Server) authenticate(r *http.Request) (authnv1.UserInfo, error) {
	token, err := bearerToken(r, s.opts.Audience)
	if err != nil {
		return authnv1.UserInfo{}, err
	}
	if !s.reviews.AllowN(s.clock.Now(), 1) {
		return authnv1.UserInfo{}, &apiError{status: http.StatusTooManyRequests, msg: "too many authentication attempts: retry shortly", retryAfter: time.Second}
	}
	st, err := s.reviewer.ReviewToken(r.Context(), token, []string{s.opts.Audience})
	if err != nil {
		return authnv1.UserInfo{}, errorf(http.StatusServiceUnavailable, "cannot check the token now: %v", err)
	}
	if !st.Authenticated || !slices.Contains(st.Audiences, s.opts.Audience) {
		why := st.Error
		if why == "" && st.Authenticated {
			why = "the API server did not confirm the audience"
		}
		if why == "" {
			why = "not authenticated"
		}
		return authnv1.UserInfo{}, &apiError{
			status: http.StatusUnauthorized,
			msg: fmt.Sprintf("token rejected (%s): use a service account token with audience %q, e.g. a projected token",
				why, s.opts.Audience),
			authenticate: `Bearer realm="fluxscale", error="invalid_token"`,
		}
	}
	return st.User, nil
}

// authorize checks user may use method on the policy's hints.
func (s *Server) authorize(r *http.Request, user authnv1.UserInfo, namespace, name string) error {
	verb, _ := verbFor(r.Method)
	st, err := s.reviewer.ReviewAccess(r.Context(), accessSpec(user, verb, namespace, name))
	if err != nil {
		return errorf(http.StatusServiceUnavailable, "cannot check permissions now: %v", err)
	}
	if !st.Allowed || st.Denied {
		msg := fmt.Sprintf("user %s cannot %s scalingpolicies/hints in namespace %s (policy %s): grant it with a Role rule "+
			"{apiGroups: [fluxscale.dev], resources: [scalingpolicies/hints], verbs: [%s], resourceNames: [%s]}",
			user.Username, verb, namespace, name, verb, name)
		if st.Reason != "" {
			msg += " (" + st.Reason + ")"
		}
		return errorf(http.StatusForbidden, "%s", msg)
	}
	return nil
}
