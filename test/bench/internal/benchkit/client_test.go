package benchkit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/util/flowcontrol"
)

type okTransport struct{}

func (okTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
}

func TestAPICounterSplitsReadsWritesAndStatusWrites(t *testing.T) {
	c := &APICounter{}
	rt := &countingTransport{next: okTransport{}, counter: c}
	const policies = "https://api/apis/fluxscale.dev/v1alpha1/namespaces/bench/scalingpolicies/"
	requests := []struct{ method, url string }{
		{http.MethodGet, policies + "p"},
		{http.MethodGet, "https://api/apis/batch/v1/namespaces/bench/jobs?watch=true"},
		{http.MethodPut, policies + "p/status"},
		{http.MethodPatch, policies + "p/status"},
		{http.MethodPut, "https://api/apis/flux-framework.org/v1alpha2/namespaces/bench/miniclusters/m/scale"},
		{http.MethodPost, "https://api/api/v1/namespaces/bench/events"},
	}
	for _, r := range requests {
		resp, err := rt.RoundTrip(httptest.NewRequest(r.method, r.url, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := Snapshot{Requests: 6, Writes: 4, StatusWrites: 2}
	if diff := cmp.Diff(want, c.Snapshot()); diff != "" {
		t.Errorf("Snapshot (-want +got):\n%s", diff)
	}
	if got := c.Snapshot().Reads(); got != 2 {
		t.Errorf("Reads = %d, want 2", got)
	}
}

// A request that finds a token is not throttled; one that finds the bucket empty is, however
// short its wait. Here the bucket holds one token and refills once in 1,000 s, so the second
// request cannot get one before its context's deadline and the limiter says so at once.
func TestTimedLimiterCountsOnlyRequestsThatFoundNoToken(t *testing.T) {
	c := &APICounter{}
	l := &timedLimiter{inner: flowcontrol.NewTokenBucketRateLimiter(0.001, 1), counter: c}
	if err := l.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := c.Snapshot().Throttled; got != 0 {
		t.Fatalf("the first request took the bucket's token: %d throttled, want 0", got)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if err := l.Wait(ctx); err == nil {
		t.Fatal("the second request got a token the bucket cannot have had")
	}
	if got := c.Snapshot().Throttled; got != 1 {
		t.Errorf("the second request found the bucket empty: %d throttled, want 1", got)
	}
}
