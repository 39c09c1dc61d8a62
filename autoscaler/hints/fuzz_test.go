package hints

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// FuzzDecodeAndResolve: any body is either a hint within the policy's bounds or a 400.
func FuzzDecodeAndResolve(f *testing.F) {
	for _, s := range []string{
		`{"size": 4}`, `{"delta": -3, "ttlSeconds": 60, "reason": "ok"}`, `{"size": 4, "delta": 1}`,
		`{"size": 2147483648}`, `{"delta": -2147483648}`, `{"ttlSeconds": 0, "size": 1}`, `[]`, `null`,
		`{"reason": "\u0000"}`, `{"size": 4}{}`, `{"size": "4"}`, `{"size": 1e3}`, ``,
	} {
		f.Add([]byte(s))
	}
	sp := makePolicy("flux-sample")
	sp.Status.TargetMaxSize = 8
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeRequest(body)
		if err == nil {
			var res resolved
			res, err = resolve(req, sp)
			if err == nil {
				if res.size < 1 || res.size > 8 || res.ttl <= 0 || len(res.reason) > MaxReasonBytes {
					t.Fatalf("accepted %q as %+v: out of bounds", body, res)
				}
				return
			}
		}
		var ae *apiError
		if !errors.As(err, &ae) || ae.status != http.StatusBadRequest || ae.msg == "" {
			t.Fatalf("body %q: error %v is not a 400 with a message", body, err)
		}
	})
}

// FuzzServe: no method, path or body makes the server panic or answer 5xx.
func FuzzServe(f *testing.F) {
	f.Add("POST", "apps", "flux-sample", `{"size": 4}`)
	f.Add("GET", "apps", "flux-sample", ``)
	f.Add("DELETE", "apps", "nope", ``)
	f.Add("PATCH", "a/b", "..", `{}`)
	f.Add("POST", "", "%2F", strings.Repeat("{", 5000))
	f.Add("POST", "apps", "flux-sample", `{"delta": 2147483647}`)

	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		f.Fatal(err)
	}
	reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(makePolicy("flux-sample")).Build()
	clk := clocktesting.NewFakeClock(t0)
	reviewer := newFakeReviewer()
	reviewer.allow(alice, "flux-sample", "create", "list", "delete")
	srv := NewServer(NewStore(clk, StoreOptions{TriggerBuffer: 1}), reader, reviewer, clk,
		Options{Rate: 1e9, Burst: 1 << 30, ReviewRate: 1e9, ReviewBurst: 1 << 30})

	f.Fuzz(func(t *testing.T, method, namespace, name, body string) {
		if !validMethod(method) {
			return
		}
		r := &http.Request{
			Method:        method,
			URL:           &url.URL{Path: "/v1/namespaces/" + namespace + "/scalingpolicies/" + name + "/hints"},
			Header:        http.Header{"Authorization": {"Bearer alice-token"}},
			Body:          http.NoBody,
			ContentLength: int64(len(body)),
			Host:          "hints",
			RemoteAddr:    "127.0.0.1:1",
		}
		if body != "" {
			r.Body = httptest.NewRequest(method, "/", strings.NewReader(body)).Body
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %s body %q: %d %s", method, r.URL.Path, body, w.Code, w.Body.String())
		}
	})
}

// validMethod is what net/http would accept as a method token.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, c) {
			return false
		}
	}
	return true
}
