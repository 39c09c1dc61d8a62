package hints

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
)

// serveHints answers /v1/namespaces/{namespace}/scalingpolicies/{name}/hints. Checks run in
// an order that leaks nothing: a caller learns whether a policy exists only once allowed
// to use its hints.
func (s *Server) serveHints(w http.ResponseWriter, r *http.Request) {
	if err := s.handle(w, r); err != nil {
		var ae *apiError
		if !errors.As(err, &ae) || ae.status >= 500 {
			logf.FromContext(r.Context()).Error(err, "hint request failed", "method", r.Method, "path", r.URL.Path)
		}
		writeError(w, err)
	}
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) error {
	if _, ok := verbFor(r.Method); !ok {
		w.Header().Set("Allow", "GET, POST, DELETE")
		return errorf(http.StatusMethodNotAllowed, "method %s is not allowed: POST posts a hint, GET lists hints, DELETE removes yours", r.Method)
	}
	if r.Method == http.MethodPost && r.ContentLength > MaxBodyBytes {
		return errorf(http.StatusRequestEntityTooLarge, "the body is %d bytes, more than %d", r.ContentLength, MaxBodyBytes)
	}
	key := types.NamespacedName{Namespace: r.PathValue("namespace"), Name: r.PathValue("name")}
	if errs := validation.IsDNS1123Label(key.Namespace); len(errs) > 0 {
		return errorf(http.StatusBadRequest, "namespace %q is not a valid namespace name: %s", key.Namespace, errs[0])
	}
	if errs := validation.IsDNS1123Subdomain(key.Name); len(errs) > 0 {
		return errorf(http.StatusBadRequest, "policy name %q is not a valid object name: %s", key.Name, errs[0])
	}
	user, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if ok, wait := s.limits.allow(user.Username, s.clock.Now()); !ok {
		return &apiError{status: http.StatusTooManyRequests, retryAfter: wait,
			msg: fmt.Sprintf("too many requests from %s: at most %g per second (burst %d); retry in %s",
				user.Username, s.opts.Rate, s.opts.Burst, wait.Round(time.Millisecond))}
	}
	if err := s.authorize(r, user, key.Namespace, key.Name); err != nil {
		return err
	}
	var sp v1alpha1.ScalingPolicy
	if err := s.policies.Get(r.Context(), key, &sp); err != nil {
		if apierrors.IsNotFound(err) {
			return errorf(http.StatusNotFound, "ScalingPolicy %s not found in namespace %s: check the policy name and namespace", key.Name, key.Namespace)
		}
		return errorf(http.StatusServiceUnavailable, "reading ScalingPolicy %s: %v", key, err)
	}
	// After a restart the store is empty: status holds the hints to restore.
	s.store.Seed(key, FromStatus(sp.Status.ActiveHints))
	switch r.Method {
	case http.MethodPost:
		return s.post(w, r, &sp, user)
	case http.MethodGet:
		writeJSON(w, http.StatusOK, ListResponse{Hints: views(s.store.List(key))})
		return nil
	default:
		if !s.store.Delete(key, user.Username) {
			return errorf(http.StatusNotFound, "%s has no active hint on policy %s", user.Username, key)
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// post records a hint, or tells the policy's owner, in a Warning event, why an authorized
// caller's hint was refused: the caller got the same reason in its answer, the owner had no
// way to see it. Callers that are not authorized leave no event: anyone could make them.
func (s *Server) post(w http.ResponseWriter, r *http.Request, sp *v1alpha1.ScalingPolicy, user authnv1.UserInfo) error {
	err := s.tryPost(w, r, sp, user)
	var ae *apiError
	if err != nil && errors.As(err, &ae) && ae.status < 500 && s.opts.Recorder != nil {
		s.opts.Recorder.Eventf(sp, nil, corev1.EventTypeWarning, v1alpha1.EventHintRejected, "Hint",
			"hint from %s refused (%d): %s", user.Username, ae.status, ae.msg)
	}
	return err
}

func (s *Server) tryPost(w http.ResponseWriter, r *http.Request, sp *v1alpha1.ScalingPolicy, user authnv1.UserInfo) error {
	key := types.NamespacedName{Namespace: sp.Namespace, Name: sp.Name}
	if !sp.Spec.Hints.IsEnabled() {
		return errorf(http.StatusConflict, "hints are disabled for policy %s: set spec.hints.enabled", key)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "the body is more than %d bytes", MaxBodyBytes)
		}
		return errorf(http.StatusBadRequest, "reading the body: %v", err)
	}
	req, err := decodeRequest(body)
	if err != nil {
		return err
	}
	res, err := resolve(req, sp)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	h := policy.Hint{
		ID:      rand.Text(),
		Subject: user.Username,
		Size:    res.size,
		Mode:    hintMode(sp),
		Expires: ceilSecond(now.Add(res.ttl)),
		Reason:  res.reason,
	}
	if err := s.store.Put(key, h); err != nil {
		var full *FullError
		if errors.As(err, &full) {
			return &apiError{status: http.StatusTooManyRequests, msg: full.Error(), retryAfter: full.RetryAt.Sub(now)}
		}
		return err
	}
	if s.opts.Recorder != nil {
		s.opts.Recorder.Eventf(sp, nil, corev1.EventTypeNormal, v1alpha1.EventHintAccepted, "Hint",
			"hint %s from %s: size %d (%s) until %s", h.ID, h.Subject, h.Size, h.Mode, h.Expires.UTC().Format(time.RFC3339))
	}
	writeJSON(w, http.StatusAccepted, PostResponse{ID: h.ID, Size: h.Size, Mode: h.Mode, ExpiresAt: h.Expires.UTC(), Message: res.note})
	return nil
}

func hintMode(sp *v1alpha1.ScalingPolicy) v1alpha1.HintMode {
	if sp.Spec.Hints.Mode == "" {
		return v1alpha1.HintFloor
	}
	return sp.Spec.Hints.Mode
}

// ceilSecond rounds t up to a whole second: status keeps whole seconds, and a hint must not
// end sooner than asked.
func ceilSecond(t time.Time) time.Time {
	if tr := t.Truncate(time.Second); !tr.Equal(t) {
		return tr.Add(time.Second)
	}
	return t
}
