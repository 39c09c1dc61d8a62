package benchkit

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
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
