package hints

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
)

func TestStatusCodes(t *testing.T) {
	disabled := makePolicy("no-hints")
	disabled.Spec.Hints.Enabled = ptr.To(false)
	capped := makePolicy("capped")
	capped.Status.TargetMaxSize = 6

	cases := []struct {
		name   string
		setup  func(h *harness)
		method string
		path   string
		token  string
		body   string
		want   int
		// wantText must all appear in the body.
		wantText   []string
		wantHeader map[string]string
	}{
		{name: "post size", method: "POST", token: "alice-token", body: `{"size": 4, "ttlSeconds": 600, "reason": "batch of 40 jobs"}`,
			want: 202, wantText: []string{`"size":4`, `"mode":"Floor"`, `"expiresAt":"2024-05-01T10:10:00Z"`}},
		{name: "post delta from desired size", method: "POST", token: "alice-token", body: `{"delta": 2}`,
			want: 202, wantText: []string{`"size":5`, `"expiresAt":"2024-05-01T11:00:00Z"`}},
		{name: "post delta clamped", method: "POST", token: "alice-token", body: `{"delta": 20}`,
			want: 202, wantText: []string{`"size":10`, "delta +20 from size 3 gives 23, clamped to the bounds [1, 10]"}},
		{name: "list", method: "GET", token: "alice-token", setup: func(h *harness) {
			h.put("flux-sample", policy.Hint{ID: "h1", Subject: bob, Size: 7, Mode: v1alpha1.HintFloor, Expires: t0.Add(time.Minute)})
		}, want: 200, wantText: []string{`"hints":[{"id":"h1","subject":"system:serviceaccount:apps:bob","size":7`}},
		{name: "delete own hint", method: "DELETE", token: "alice-token", setup: func(h *harness) {
			h.put("flux-sample", policy.Hint{ID: "h1", Subject: alice, Size: 7, Expires: t0.Add(time.Minute)})
		}, want: 204},
		{name: "delete without a hint", method: "DELETE", token: "alice-token", setup: func(h *harness) {
			h.put("flux-sample", policy.Hint{ID: "h1", Subject: bob, Size: 7, Expires: t0.Add(time.Minute)})
		}, want: 404, wantText: []string{"system:serviceaccount:apps:alice has no active hint on policy apps/flux-sample"}},
		{name: "no token", method: "POST", body: `{"size": 4}`, want: 401,
			wantText:   []string{"missing bearer token", "audience fluxscale"},
			wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="fluxscale"`}},
		{name: "invalid token", method: "GET", token: "forged", want: 401,
			wantText:   []string{"token rejected (invalid bearer token)"},
			wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="fluxscale", error="invalid_token"`}},
		{name: "token for another audience", method: "GET", token: "alice-api-token", want: 401,
			wantText: []string{`audience \"fluxscale\"`}},
		{name: "token review unavailable", method: "GET", token: "alice-token", setup: func(h *harness) {
			h.reviewer.nextTokenErr = errors.New("connection refused")
		}, want: 503, wantText: []string{"cannot check the token now: connection refused"}},
		{name: "not granted", method: "POST", token: "bob-token", body: `{"size": 4}`, want: 403,
			wantText: []string{"user system:serviceaccount:apps:bob cannot create scalingpolicies/hints", "in namespace apps"}},
		{name: "granted list but not delete", method: "DELETE", token: "alice-other-token", setup: func(h *harness) {
			h.reviewer.allow(alice+"-2", "flux-sample", "list")
		}, want: 403, wantText: []string{"cannot delete scalingpolicies/hints in namespace apps (policy flux-sample)"}},
		{name: "unknown policy", method: "POST", path: "/v1/namespaces/apps/scalingpolicies/nope/hints", token: "alice-token",
			body: `{"size": 4}`, want: 404, wantText: []string{"ScalingPolicy nope not found in namespace apps"}},
		{name: "hints disabled", method: "POST", path: "/v1/namespaces/apps/scalingpolicies/no-hints/hints", token: "alice-token",
			body: `{"size": 4}`, want: 409, wantText: []string{"hints are disabled for policy apps/no-hints: set spec.hints.enabled"}},
		{name: "size above max", method: "POST", token: "alice-token", body: `{"size": 11}`, want: 400,
			wantText: []string{"size 11 is outside policy apps/flux-sample's bounds [1, 10] (spec.minSize, spec.maxSize)"}},
		{name: "size above the target's max", method: "POST", path: "/v1/namespaces/apps/scalingpolicies/capped/hints", token: "alice-token",
			body: `{"size": 8}`, want: 400, wantText: []string{"bounds [1, 6] (spec.minSize, the target's own maximum size)"}},
		{name: "size zero", method: "POST", token: "alice-token", body: `{"size": 0}`, want: 400, wantText: []string{"size 0 is outside"}},
		{name: "size and delta", method: "POST", token: "alice-token", body: `{"size": 4, "delta": 1}`, want: 400,
			wantText: []string{"size and delta are both set (size 4, delta 1)"}},
		{name: "neither size nor delta", method: "POST", token: "alice-token", body: `{"ttlSeconds": 60}`, want: 400,
			wantText: []string{"neither size nor delta"}},
		{name: "unknown field", method: "POST", token: "alice-token", body: `{"size": 4, "nodes": 3}`, want: 400,
			wantText: []string{`unknown field \"nodes\"`}},
		{name: "fractional size", method: "POST", token: "alice-token", body: `{"size": 4.5}`, want: 400,
			wantText: []string{"field size: a JSON number 4.5 is not valid here"}},
		{name: "ttl above max", method: "POST", token: "alice-token", body: `{"size": 4, "ttlSeconds": 7200}`, want: 400,
			wantText: []string{"ttlSeconds 7200 is outside [1, 3600]"}},
		{name: "reason with a newline", method: "POST", token: "alice-token", body: `{"size": 4, "reason": "a\nb"}`, want: 400,
			wantText: []string{"non-printable character"}},
		{name: "garbage body", method: "POST", token: "alice-token", body: `size=4`, want: 400,
			wantText: []string{"the body is not valid JSON"}},
		{name: "two objects", method: "POST", token: "alice-token", body: `{"size": 4}{"size": 5}`, want: 400,
			wantText: []string{"one JSON object, with nothing after it"}},
		{name: "bad namespace in path", method: "GET", path: "/v1/namespaces/Apps_1/scalingpolicies/flux-sample/hints", token: "alice-token",
			want: 400, wantText: []string{`namespace \"Apps_1\" is not a valid namespace name`}},
		{name: "body over 4 KiB", method: "POST", token: "alice-token", body: `{"reason": "` + strings.Repeat("x", 5000) + `"}`,
			want: 413, wantText: []string{"more than 4096"}},
		{name: "wrong method", method: "PUT", token: "alice-token", body: `{"size": 4}`, want: 405,
			wantHeader: map[string]string{"Allow": "GET, POST, DELETE"}},
		{name: "unknown path", method: "GET", path: "/v2/hints", token: "alice-token", want: 404, wantText: []string{"the API is /v1/"}},
		{name: "policy full", method: "POST", token: "alice-token", body: `{"size": 4}`, setup: func(h *harness) {
			for i := range DefaultMaxSubjects {
				h.put("flux-sample", policy.Hint{ID: "x", Subject: string(rune('a'+i%26)) + strings.Repeat("z", i), Size: 2,
					Expires: t0.Add(time.Duration(i+1) * time.Minute)})
			}
		}, want: 429, wantText: []string{"already holds 64 hints from other subjects"},
			wantHeader: map[string]string{"Retry-After": "60"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{}, makePolicy("flux-sample"), disabled, capped)
			for _, name := range []string{"flux-sample", "no-hints", "capped", "nope"} {
				h.reviewer.allow(alice, name, "create", "list", "delete")
			}
			if tc.setup != nil {
				tc.setup(h)
			}
			path := tc.path
			if path == "" {
				path = hintsPath
			}
			got := h.do(tc.method, path, tc.token, tc.body)
			if got.status != tc.want {
				t.Fatalf("status = %d, want %d; body %s", got.status, tc.want, got.body)
			}
			if tc.want != 204 && !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q, want JSON", got.header.Get("Content-Type"))
			}
			if tc.want >= 400 && !json.Valid([]byte(got.body)) || tc.want >= 400 && !strings.HasPrefix(got.body, `{"error":`) {
				t.Errorf("error body %q is not {\"error\": ...}", got.body)
			}
			for _, s := range tc.wantText {
				if !strings.Contains(got.body, s) {
					t.Errorf("body %s does not contain %s", got.body, s)
				}
			}
			for k, v := range tc.wantHeader {
				if got.header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, got.header.Get(k), v)
				}
			}
		})
	}
}

// put stores a hint directly, as if an earlier request had posted it.
func (h *harness) put(name string, hint policy.Hint) {
	h.t.Helper()
	if err := h.store.Put(types.NamespacedName{Namespace: "apps", Name: name}, hint); err != nil {
		h.t.Fatal(err)
	}
}

func TestPostStoresHintAndRecordsEvent(t *testing.T) {
	h := newHarness(t, Options{}, makePolicy("flux-sample"))
	h.reviewer.allow(alice, "flux-sample", "create")
	got := h.do("POST", hintsPath, "alice-token", `{"size": 4, "ttlSeconds": 600, "reason": "batch"}`)
	if got.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", got.status, got.body)
	}
	var resp PostResponse
	if err := json.Unmarshal([]byte(got.body), &resp); err != nil {
		t.Fatal(err)
	}
	key := types.NamespacedName{Namespace: "apps", Name: "flux-sample"}
	want := []policy.Hint{{ID: resp.ID, Subject: alice, Size: 4, Mode: v1alpha1.HintFloor, Expires: t0.Add(10 * time.Minute), Reason: "batch"}}
	if diff := cmp.Diff(want, h.store.List(key), cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("stored hints (-want +got):\n%s", diff)
	}
	if resp.ID == "" {
		t.Error("response has no id")
	}
	if got := h.store.LastReceived(key); !got.Equal(t0) {
		t.Errorf("LastReceived = %v, want %v", got, t0)
	}
	select {
	case ev := <-h.store.Triggers():
		if diff := cmp.Diff(key, client.ObjectKeyFromObject(ev.Object)); diff != "" {
			t.Errorf("trigger object (-want +got):\n%s", diff)
		}
	default:
		t.Error("no trigger after a POST")
	}
	select {
	case ev := <-h.recorder.Events:
		if !strings.Contains(ev, "Normal HintAccepted hint "+resp.ID+" from "+alice+": size 4 (Floor)") {
			t.Errorf("event = %q", ev)
		}
	default:
		t.Error("no HintAccepted event")
	}
	// The review carried the caller's whole identity and the exact permission.
	want0 := authzv1.SubjectAccessReviewSpec{
		ResourceAttributes: &authzv1.ResourceAttributes{Namespace: "apps", Verb: "create", Group: "fluxscale.dev",
			Resource: "scalingpolicies", Subresource: "hints", Name: "flux-sample"},
		User: alice, UID: "uid-" + alice,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"},
		Extra:  map[string]authzv1.ExtraValue{"authentication.kubernetes.io/pod-name": {"app-0"}},
	}
	if diff := cmp.Diff([]authzv1.SubjectAccessReviewSpec{want0}, h.reviewer.accessCalls); diff != "" {
		t.Errorf("SubjectAccessReviews (-want +got):\n%s", diff)
	}
}

func TestPostReplacesSubjectsHint(t *testing.T) {
	h := newHarness(t, Options{}, makePolicy("flux-sample"))
	h.reviewer.allow(alice, "flux-sample", "create")
	for _, body := range []string{`{"size": 4}`, `{"size": 6}`} {
		if got := h.do("POST", hintsPath, "alice-token", body); got.status != 202 {
			t.Fatalf("POST %s: %d %s", body, got.status, got.body)
		}
	}
	hs := h.store.List(types.NamespacedName{Namespace: "apps", Name: "flux-sample"})
	if len(hs) != 1 || hs[0].Size != 6 {
		t.Errorf("hints = %+v, want alice's latest (size 6) only", hs)
	}
}

func TestRateLimitPerSubject(t *testing.T) {
	h := newHarness(t, Options{Rate: 1, Burst: 3}, makePolicy("flux-sample"))
	h.reviewer.allow(alice, "flux-sample", "list")
	h.reviewer.allow(alice+"-2", "flux-sample", "list")
	var codes []int
	for range 5 {
		codes = append(codes, h.do("GET", hintsPath, "alice-token", "").status)
	}
	if diff := cmp.Diff([]int{200, 200, 200, 429, 429}, codes); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	limited := h.do("GET", hintsPath, "alice-token", "")
	if limited.header.Get("Retry-After") != "1" || !strings.Contains(limited.body, "too many requests from "+alice) {
		t.Errorf("429 answer: Retry-After %q, body %s", limited.header.Get("Retry-After"), limited.body)
	}
	if got := h.do("GET", hintsPath, "alice-other-token", "").status; got != 200 {
		t.Errorf("another subject got %d, want 200: limits are per subject", got)
	}
	h.clock.Step(time.Second)
	if got := h.do("GET", hintsPath, "alice-token", "").status; got != 200 {
		t.Errorf("after a second got %d, want 200", got)
	}
}

func TestSeedsFromStatusBeforeFirstPut(t *testing.T) {
	sp := makePolicy("flux-sample")
	sp.Status.ActiveHints = ToStatus([]policy.Hint{{ID: "old", Subject: bob, Size: 8, Mode: v1alpha1.HintFloor, Expires: t0.Add(time.Hour)}})
	h := newHarness(t, Options{}, sp)
	h.reviewer.allow(alice, "flux-sample", "create")
	if got := h.do("POST", hintsPath, "alice-token", `{"size": 4}`); got.status != 202 {
		t.Fatalf("POST: %d %s", got.status, got.body)
	}
	var subjects []string
	for _, hint := range h.store.List(types.NamespacedName{Namespace: "apps", Name: "flux-sample"}) {
		subjects = append(subjects, hint.Subject)
	}
	if diff := cmp.Diff([]string{alice, bob}, subjects); diff != "" {
		t.Errorf("subjects after restart and a new POST (-want +got):\n%s", diff)
	}
}

func TestChunkedBodyOverLimit(t *testing.T) {
	h := newHarness(t, Options{}, makePolicy("flux-sample"))
	h.reviewer.allow(alice, "flux-sample", "create")
	body := `{"reason": "` + strings.Repeat("x", 5000) + `"}`
	// An io.Reader of unknown length makes the client send chunks, without Content-Length.
	req, err := http.NewRequest("POST", h.srv.URL+hintsPath, io.MultiReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer alice-token")
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if req.ContentLength != 0 || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("request length %d: status %d, want a chunked request answered 413", req.ContentLength, resp.StatusCode)
	}
}

func TestTokenReviewsAreBoundedOverAllCallers(t *testing.T) {
	h := newHarness(t, Options{ReviewRate: 1, ReviewBurst: 2}, makePolicy("flux-sample"))
	var codes []int
	for _, tok := range []string{"forged-1", "forged-2", "forged-3", "alice-token"} {
		codes = append(codes, h.do("GET", hintsPath, tok, "").status)
	}
	if diff := cmp.Diff([]int{401, 401, 429, 429}, codes); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if h.reviewer.tokenCalls != 2 {
		t.Errorf("%d TokenReviews, want 2: the limit must hold before the API server is asked", h.reviewer.tokenCalls)
	}
}

// An authorized caller's refused hint tells the policy's owner why, once, as a Warning; a
// caller without access leaves no event, since anyone could make one.
func TestRefusedHintIsAnnounced(t *testing.T) {
	disabled := makePolicy("no-hints")
	disabled.Spec.Hints.Enabled = ptr.To(false)
	h := newHarness(t, Options{}, makePolicy("flux-sample"), disabled)
	h.reviewer.allow(alice, "flux-sample", "create")
	h.reviewer.allow(alice, "no-hints", "create")
	for _, tc := range []struct {
		path, body, want string
	}{
		{"/v1/namespaces/apps/scalingpolicies/no-hints/hints", `{"size": 4}`,
			"Warning HintRejected hint from " + alice + " refused (409): hints are disabled for policy apps/no-hints: set spec.hints.enabled"},
		{hintsPath, `{"size": "lots"}`, "Warning HintRejected hint from " + alice + " refused (400): "},
	} {
		if got := h.do("POST", tc.path, "alice-token", tc.body); got.status < 400 || got.status >= 500 {
			t.Fatalf("POST %s %s: %d %s, want a 4xx", tc.path, tc.body, got.status, got.body)
		}
		select {
		case ev := <-h.recorder.Events:
			if !strings.HasPrefix(ev, tc.want) {
				t.Errorf("event = %q, want it to start with %q", ev, tc.want)
			}
		default:
			t.Errorf("no HintRejected event after POST %s %s", tc.path, tc.body)
		}
	}
	if got := h.do("POST", hintsPath, "bob-token", `{"size": 4}`); got.status != http.StatusForbidden {
		t.Fatalf("bob's POST: %d %s, want 403", got.status, got.body)
	}
	select {
	case ev := <-h.recorder.Events:
		t.Errorf("event %q after an unauthorized POST, want none", ev)
	default:
	}
}
