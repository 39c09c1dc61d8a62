package hints

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// tokenHolder is who a fake token belongs to and which audience it was issued for.
type tokenHolder struct {
	user     authnv1.UserInfo
	audience string
}

// fakeReviewer answers TokenReviews from tokens and SubjectAccessReviews from allowed
// ("user verb namespace/name"), records the calls, and fails when the next error is set.
type fakeReviewer struct {
	mu           sync.Mutex
	tokens       map[string]tokenHolder
	allowed      map[string]bool
	tokenCalls   int
	accessCalls  []authzv1.SubjectAccessReviewSpec
	nextTokenErr error
}

var _ Reviewer = (*fakeReviewer)(nil)

func (f *fakeReviewer) ReviewToken(_ context.Context, token string, audiences []string) (authnv1.TokenReviewStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenCalls++
	if err := f.nextTokenErr; err != nil {
		f.nextTokenErr = nil
		return authnv1.TokenReviewStatus{}, err
	}
	h, ok := f.tokens[token]
	if !ok || !slices.Contains(audiences, h.audience) {
		return authnv1.TokenReviewStatus{Error: "invalid bearer token"}, nil
	}
	return authnv1.TokenReviewStatus{Authenticated: true, User: h.user, Audiences: []string{h.audience}}, nil
}

func (f *fakeReviewer) ReviewAccess(_ context.Context, spec authzv1.SubjectAccessReviewSpec) (authzv1.SubjectAccessReviewStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accessCalls = append(f.accessCalls, spec)
	a := spec.ResourceAttributes
	key := spec.User + " " + a.Verb + " " + a.Namespace + "/" + a.Name
	ok := f.allowed[key] && a.Group == "fluxscale.dev" && a.Resource == "scalingpolicies" && a.Subresource == "hints"
	return authzv1.SubjectAccessReviewStatus{Allowed: ok}, nil
}

const (
	alice = "system:serviceaccount:apps:alice"
	bob   = "system:serviceaccount:apps:bob"
)

func newFakeReviewer() *fakeReviewer {
	sa := func(name string) authnv1.UserInfo {
		return authnv1.UserInfo{
			Username: name, UID: "uid-" + name,
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"},
			Extra:  map[string]authnv1.ExtraValue{"authentication.kubernetes.io/pod-name": {"app-0"}},
		}
	}
	return &fakeReviewer{
		tokens: map[string]tokenHolder{
			"alice-token":       {user: sa(alice), audience: "fluxscale"},
			"alice-api-token":   {user: sa(alice), audience: "https://kubernetes.default.svc"},
			"bob-token":         {user: sa(bob), audience: "fluxscale"},
			"alice-other-token": {user: sa(alice + "-2"), audience: "fluxscale"},
		},
		allowed: map[string]bool{},
	}
}

// allow lets user use verbs on the hints of apps/name.
func (f *fakeReviewer) allow(user, name string, verbs ...string) {
	for _, v := range verbs {
		f.allowed[user+" "+v+" apps/"+name] = true
	}
}

// makePolicy is a ScalingPolicy apps/name of sizes 1..10 with hints enabled, as the API
// server's defaulting leaves it.
func makePolicy(name string) *v1alpha1.ScalingPolicy {
	return &v1alpha1.ScalingPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "apps"},
		Spec: v1alpha1.ScalingPolicySpec{
			TargetRef: v1alpha1.TargetRef{APIVersion: "flux-framework.org/v1alpha2", Kind: "MiniCluster", Name: name},
			MinSize:   1,
			MaxSize:   10,
			Hints:     v1alpha1.HintsSpec{Enabled: ptr.To(true), Mode: v1alpha1.HintFloor, MaxTTLSeconds: 3600},
		},
		Status: v1alpha1.ScalingPolicyStatus{CurrentSize: 2, DesiredSize: 3},
	}
}

type harness struct {
	t        *testing.T
	srv      *httptest.Server
	store    *Store
	clock    *clocktesting.FakeClock
	reviewer *fakeReviewer
	recorder *events.FakeRecorder
}

func newHarness(t *testing.T, opts Options, objs ...client.Object) *harness {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t:        t,
		clock:    clocktesting.NewFakeClock(t0),
		reviewer: newFakeReviewer(),
		recorder: events.NewFakeRecorder(16),
	}
	h.store = NewStore(h.clock, StoreOptions{})
	opts.Recorder = h.recorder
	reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	h.srv = httptest.NewServer(NewServer(h.store, reader, h.reviewer, h.clock, opts))
	t.Cleanup(h.srv.Close)
	return h
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request; token "" sends no Authorization header.
func (h *harness) do(method, path, token, body string) response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		h.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

const hintsPath = "/v1/namespaces/apps/scalingpolicies/flux-sample/hints"
