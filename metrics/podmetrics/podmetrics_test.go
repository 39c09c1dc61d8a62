package podmetrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	"k8s.io/metrics/pkg/client/clientset/versioned"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// metricsAPI serves metrics.k8s.io/v1beta1 PodMetricsList JSON as metrics-server does.
type metricsAPI struct {
	mu      sync.Mutex
	body    string
	queries []string
}

func (m *metricsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.URL.Path != "/apis/metrics.k8s.io/v1beta1/namespaces/flux-operator/pods" {
		http.NotFound(w, r)
		return
	}
	m.queries = append(m.queries, r.URL.Query().Get("labelSelector"))
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, m.body)
}

// podMetricsList renders metrics-server's answer; each entry is "pod/container=cpu,memory",
// entries of one pod being adjacent.
func podMetricsList(entries ...string) string {
	var pods []string
	byPod := map[string][]string{}
	for _, e := range entries {
		name, use, _ := strings.Cut(e, "=")
		pod, ctr, _ := strings.Cut(name, "/")
		cpu, mem, _ := strings.Cut(use, ",")
		if _, ok := byPod[pod]; !ok {
			pods = append(pods, pod)
		}
		byPod[pod] = append(byPod[pod], fmt.Sprintf(`{"name": %q, "usage": {"cpu": %q, "memory": %q}}`, ctr, cpu, mem))
	}
	var items []string
	for _, pod := range pods {
		items = append(items, fmt.Sprintf(`{"metadata": {"name": %q, "namespace": "flux-operator",
"labels": {"hpa-selector": "flux-sample"}}, "timestamp": "2024-05-01T10:00:00Z", "window": "15s",
"containers": [%s]}`, pod, strings.Join(byPod[pod], ",")))
	}
	return `{"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {},
"items": [` + strings.Join(items, ",") + `]}`
}

// makePod is a running MiniCluster pod with one container "flux" requesting cpu and memory
// ("" leaves a request out).
func makePod(name, cpu, mem string) *corev1.Pod {
	req := corev1.ResourceList{}
	if cpu != "" {
		req[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		req[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "flux-operator", Labels: map[string]string{"hpa-selector": "flux-sample"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "flux", Resources: corev1.ResourceRequirements{Requests: req}}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
}

func TestRead(t *testing.T) {
	pending := makePod("flux-sample-4", "1", "1Gi")
	pending.Status.Phase = corev1.PodPending
	other := makePod("other-0", "1", "1Gi")
	other.Labels = map[string]string{"app": "other"}
	sidecar := makePod("flux-sample-5", "1", "1Gi")
	always := corev1.ContainerRestartPolicyAlways
	sidecar.Spec.InitContainers = []corev1.Container{{Name: "agent", RestartPolicy: &always,
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}

	cases := []struct {
		name    string
		pods    []client.Object
		metrics string
		want    Usage
		wantErr string
	}{
		{
			name:    "request-weighted mean over running pods",
			pods:    []client.Object{makePod("flux-sample-0", "1", "1Gi"), makePod("flux-sample-1", "1", "1Gi"), pending, other},
			metrics: podMetricsList("flux-sample-0/flux=900m,512Mi", "flux-sample-1/flux=300m,256Mi", "other-0/flux=1,1Gi"),
			want:    Usage{CPUPercent: 60, Pods: 2, MemoryPercent: 37, MemoryPods: 2},
		},
		{
			name:    "pod without CPU request is skipped and counted",
			pods:    []client.Object{makePod("flux-sample-0", "2", ""), makePod("flux-sample-1", "", "1Gi")},
			metrics: podMetricsList("flux-sample-0/flux=500m,1Gi", "flux-sample-1/flux=2,1Gi"),
			want:    Usage{CPUPercent: 25, Pods: 1, NoCPURequest: 1, Skipped: []string{"flux-sample-1"}},
		},
		{
			name:    "pod without metrics yet is skipped and counted",
			pods:    []client.Object{makePod("flux-sample-0", "500m", "1Gi"), makePod("flux-sample-1", "500m", "1Gi")},
			metrics: podMetricsList("flux-sample-0/flux=750m,1Gi"),
			want:    Usage{CPUPercent: 150, Pods: 1, MemoryPercent: 100, MemoryPods: 1, NoMetrics: 1, Skipped: []string{"flux-sample-1"}},
		},
		{
			name:    "sidecar without a sample is missing metrics",
			pods:    []client.Object{makePod("flux-sample-0", "1", ""), sidecar},
			metrics: podMetricsList("flux-sample-0/flux=100m,1Mi", "flux-sample-5/flux=1,1Mi"),
			want:    Usage{CPUPercent: 10, Pods: 1, NoMetrics: 1, Skipped: []string{"flux-sample-5"}},
		},
		{
			name:    "sidecar with a sample counts toward the pod",
			pods:    []client.Object{sidecar},
			metrics: podMetricsList("flux-sample-5/flux=450m,1Mi", "flux-sample-5/agent=100m,1Mi"),
			want:    Usage{CPUPercent: 50, Pods: 1},
		},
		{
			name:    "no countable pod is an error",
			pods:    []client.Object{makePod("flux-sample-0", "", "")},
			metrics: podMetricsList("flux-sample-0/flux=1,1Gi"),
			wantErr: "1 without a CPU request, 0 without metrics; e.g. [flux-sample-0]",
		},
		{
			name:    "no pods is an error",
			metrics: podMetricsList(),
			wantErr: `no pod "hpa-selector=flux-sample" in flux-operator`,
		},
		{
			name:    "garbage JSON",
			pods:    []client.Object{makePod("flux-sample-0", "1", "")},
			metrics: `{"items": [`,
			wantErr: "reading pod metrics",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := &metricsAPI{body: tc.metrics}
			srv := httptest.NewServer(api)
			defer srv.Close()
			mc, err := versioned.NewForConfig(&rest.Config{Host: srv.URL, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			pods := fake.NewClientBuilder().WithObjects(tc.pods...).Build()
			sel := labels.SelectorFromSet(labels.Set{"hpa-selector": "flux-sample"})

			got, err := NewReader(mc.MetricsV1beta1(), pods).Read(t.Context(), "flux-operator", sel)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Read error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Usage (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"hpa-selector=flux-sample"}, api.queries); diff != "" {
				t.Errorf("label selectors sent to metrics.k8s.io (-want +got):\n%s", diff)
			}
		})
	}
}
