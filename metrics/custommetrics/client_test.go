package custommetrics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

var now = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func newClient(t *testing.T, host string) *Client {
	t.Helper()
	mapper := meta.NewDefaultRESTMapper([]schema.GroupVersion{corev1.SchemeGroupVersion})
	mapper.Add(corev1.SchemeGroupVersion.WithKind("Pod"), meta.RESTScopeNamespace)
	c, err := New(&rest.Config{Host: host}, mapper,
		Object{Namespace: "flux-operator", Resource: "pods", Name: "flux-sample-0"}, clocktesting.NewFakeClock(now))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestStateReadsCounts(t *testing.T) {
	want := flux.State{
		ObservedAt:   now,
		CoresPerNode: 4,
		Counts:       flux.Counts{Depend: 1, Sched: 4, Run: 3},
		Jobs:         []flux.Job{},
		Nodes:        flux.NodeCounts{Up: 4, Free: 1, Allocated: 3},
	}
	cases := []struct {
		name string
		echo func(string) string
		// quoted serves values as quantity strings ("4") instead of bare numbers.
		quoted bool
	}{
		{name: "lowercase metric names, as flux-metrics-api answers"},
		{name: "uppercase state names echoed", echo: func(m string) string {
			return strings.NewReplacer("depend", "DEPEND", "priority", "PRIORITY", "sched", "SCHED",
				"run", "RUN", "cleanup", "CLEANUP").Replace(m)
		}},
		{name: "all-uppercase names echoed", echo: strings.ToUpper},
		{name: "quantity strings", quoted: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			values := busyValues()
			if tc.quoted {
				for k, v := range values {
					values[k] = `"` + v + `"`
				}
			}
			s, srv := newMetricsServer(t, values)
			s.echo = tc.echo
			got, err := newClient(t, srv.URL).State(t.Context())
			if err != nil {
				t.Fatalf("State: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("State (-want +got):\n%s", diff)
			}
			wantPath := "/apis/custom.metrics.k8s.io/v1beta2/namespaces/flux-operator/pods/flux-sample-0/" + MetricQueueSched
			if paths := s.requested(); !contains(paths, wantPath) {
				t.Errorf("requests %v do not include %s", paths, wantPath)
			}
		})
	}
}

func TestStateErrors(t *testing.T) {
	cases := []struct {
		name   string
		change func(s *metricsServer)
		want   string
	}{
		{
			name:   "missing metric is named, not read as zero",
			change: func(s *metricsServer) { delete(s.values, MetricQueueSched) },
			want:   "reading metric job_queue_state_sched_count",
		},
		{
			name:   "garbage JSON",
			change: func(s *metricsServer) { s.raw = `{"items": [{"metric": ` },
			want:   "reading metric job_queue_state_depend_count",
		},
		{
			name: "not a MetricValueList",
			change: func(s *metricsServer) {
				s.raw = `{"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "boom", "code": 500}`
			},
			want: "reading metric job_queue_state_depend_count",
		},
		{
			name:   "another metric in the answer",
			change: func(s *metricsServer) { s.echo = func(string) string { return "node_up_count" } },
			want:   `the server answered with metric "node_up_count"`,
		},
		{
			name:   "fractional value",
			change: func(s *metricsServer) { s.values[MetricNodeUp] = `"1500m"` },
			want:   "value 1500m is not a count",
		},
		{
			name:   "negative value",
			change: func(s *metricsServer) { s.values[MetricQueueRun] = `-2` },
			want:   "value -2 is not a count",
		},
		{
			name:   "free above up",
			change: func(s *metricsServer) { s.values[MetricNodeFree] = `5` },
			want:   "5 free nodes but only 4 up",
		},
		{
			name: "all queue counts zero while nodes are busy: the lowercase state key bug",
			change: func(s *metricsServer) {
				for _, m := range []string{MetricQueueDepend, MetricQueueSched, MetricQueueRun} {
					s.values[m] = "0"
				}
			},
			want: "3 allocated nodes but no job in any state",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, srv := newMetricsServer(t, busyValues())
			tc.change(s)
			_, err := newClient(t, srv.URL).State(t.Context())
			t.Logf("error: %v", err)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("State error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestStateIdleClusterTrustsZeroCounts(t *testing.T) {
	values := busyValues()
	for _, m := range []string{MetricQueueDepend, MetricQueueSched, MetricQueueRun} {
		values[m] = "0"
	}
	values[MetricNodeFree] = "4"
	_, srv := newMetricsServer(t, values)
	got, err := newClient(t, srv.URL).State(t.Context())
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	if diff := cmp.Diff(flux.NodeCounts{Up: 4, Free: 4}, got.Nodes); diff != "" {
		t.Errorf("Nodes (-want +got):\n%s", diff)
	}
}

func TestStateReturnsWhenContextEnds(t *testing.T) {
	s, srv := newMetricsServer(t, busyValues())
	s.block = make(chan struct{})
	defer close(s.block)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := newClient(t, srv.URL).State(ctx)
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("State error = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("State did not return after its context was canceled")
	}
}

func TestDrainIsRefused(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1")
	if err := c.Drain(t.Context(), flux.RankSet{}, "shrink"); !errors.Is(err, ErrCannotDrain) {
		t.Errorf("Drain error = %v, want ErrCannotDrain", err)
	}
	if err := c.Undrain(t.Context(), flux.RankSet{}); !errors.Is(err, ErrCannotDrain) {
		t.Errorf("Undrain error = %v, want ErrCannotDrain", err)
	}
}

func TestNewRejectsIncompleteObject(t *testing.T) {
	_, err := New(&rest.Config{Host: "http://127.0.0.1:1"}, meta.NewDefaultRESTMapper(nil),
		Object{Namespace: "ns", Resource: "pods"}, clocktesting.NewFakeClock(now))
	if err == nil {
		t.Fatal("New accepted an object without a name")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
