package custommetrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// metricsServer answers like flux-metrics-api behind the aggregation layer: one
// MetricValueList per GET of /apis/custom.metrics.k8s.io/v1beta2/namespaces/{ns}/{resource}/{name}/{metric},
// values as bare JSON numbers, the described object being the server's own Service, and a
// {"detail": ...} 404 for unknown metrics (flux_metrics_api/routes.py and types.py).
type metricsServer struct {
	mu sync.Mutex
	// values are served by metric name; a missing name is a 404.
	values map[string]string
	// echo, when set, rewrites the metric name the server puts in its answer.
	echo func(string) string
	// raw, when set, is served instead of a MetricValueList for every metric.
	raw string
	// block, when set, holds every request until it is closed.
	block chan struct{}
	// paths records the request paths.
	paths []string
}

func newMetricsServer(t *testing.T, values map[string]string) (*metricsServer, *httptest.Server) {
	t.Helper()
	s := &metricsServer{values: values}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *metricsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.paths = append(s.paths, r.URL.Path)
	raw, echo, block := s.raw, s.echo, s.block
	s.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-r.Context().Done():
			return
		}
	}
	const prefix = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/"
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, prefix), "/")
	if !strings.HasPrefix(r.URL.Path, prefix) || len(parts) != 4 {
		http.Error(w, `{"detail": "Not Found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if raw != "" {
		fmt.Fprint(w, raw)
		return
	}
	metric := parts[3]
	s.mu.Lock()
	value, ok := s.values[metric]
	s.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"detail": "This metric is not known to the server."}`)
		return
	}
	name := metric
	if echo != nil {
		name = echo(metric)
	}
	fmt.Fprintf(w, `{"items": [{"metric": {"name": %q}, "value": %s, "timestamp": "2024-05-01T10:00:00+00:00",
"windowSeconds": 0, "describedObject": {"kind": "Service", "namespace": "flux-operator",
"name": "custom-metrics-apiserver", "apiVersion": "v1beta2"}}],
"apiVersion": "custom.metrics.k8s.io/v1beta2", "kind": "MetricValueList",
"metadata": {"selfLink": "/apis/custom.metrics.k8s.io/v1beta2"}}`, name, value)
}

func (s *metricsServer) requested() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

// busyValues is a MiniCluster of 4 up nodes with 4 cores each, 3 running jobs on 3 nodes
// and 5 jobs waiting.
func busyValues() map[string]string {
	return map[string]string{
		MetricNodeUp:        "4",
		MetricNodeFree:      "1",
		MetricCoresUp:       "16",
		MetricCoresFree:     "4",
		MetricQueueDepend:   "1",
		MetricQueuePriority: "0",
		MetricQueueSched:    "4",
		MetricQueueRun:      "3",
		MetricQueueCleanup:  "0",
		// Served by the real server, never read by State.
		"job_queue_state_new_count":      "0",
		"job_queue_state_inactive_count": "12",
	}
}
