package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/fluxoperator"
	"github.com/fluxscale/fluxscale/test/harness"
)

// TestQueueDrivenOnTheRealOperator: the operator's example MiniCluster on the real operator,
// read through the fluxscale agent running in rank 0's pod as the sidecar sample runs it
// (flux.source Agent, its long-poll). Four one-node Flux jobs on 2 ranks make the queue ask
// for 4; the controller grows the MiniCluster in answer to the change alone (the poll is
// 300 s away), the new brokers join and the jobs start. When they end, the idle ranks are
// drained and removed after the 3 s window, and every job completed.
func TestQueueDrivenOnTheRealOperator(t *testing.T) {
	h, op, in := realMiniCluster(t)
	ctx := t.Context()
	url := op.StartAgent(t, h.Namespace, leadPodOf(t, h, "flux-sample"), "flux-sample")
	token := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "agent-token", Namespace: h.Namespace},
		Data: map[string][]byte{"token": []byte(fluxoperator.AgentToken)}}
	if err := h.Client.Create(ctx, token); err != nil {
		t.Fatal(err)
	}
	sp := builders.MakeScalingPolicy("queue", h.Namespace).Target(exampleRef.APIVersion, exampleRef.Kind, exampleRef.Name).MinSize(2).MaxSize(10).
		Flux(v1alpha1.FluxSource{Source: v1alpha1.SourceAgent, Agent: &v1alpha1.AgentSource{URL: url,
			TokenSecretRef: &v1alpha1.SecretKeyRef{Name: "agent-token"}}}).
		QueueDepth(0).PollInterval(slowPoll).Behavior(shortScaleDown(3)).Obj()
	if err := h.Client.Create(ctx, sp); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, decideBound, "the first decision", func(ctx context.Context) (bool, string) {
		return conditionIs(ctx, h, "queue", v1alpha1.ConditionScalingActive, "True/ValidMetricFound")
	})

	release := filepath.Join(t.TempDir(), "release")
	queued := time.Now()
	mustFlux(t, in, "submit", "--quiet", "--cc=1-4", "-N1", "sh", "-c", "while [ ! -e "+release+" ]; do sleep 0.2; done")
	in.WaitStatus(t, "online", "0-3", operatorBound)
	if waited := time.Since(queued); waited >= slowPoll*time.Second {
		t.Fatalf("the growth took %s, not less than the %d s poll: it proves nothing about triggers", waited, slowPoll)
	}
	t.Logf("MEASURED real operator: queue change -> Flux ranks 0-3 online: %s", time.Since(queued).Round(time.Millisecond))
	harness.Eventually(t, operatorBound, "all four jobs running", func(ctx context.Context) (bool, string) {
		out, err := in.Flux(ctx, "jobs", "-n", "-o", "{state}")
		return err == nil && strings.Count(out, "RUN") == 4, out
	})

	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	idle := time.Now()
	in.WaitStatus(t, "offline", "2-9", operatorBound)
	t.Logf("MEASURED real operator: jobs ended -> ranks 2-3 offline (3 s window, drain, shrink): %s", time.Since(idle).Round(time.Millisecond))
	out := mustFlux(t, in, "jobs", "-a", "-n", "-o", "{result}")
	if strings.Count(out, "COMPLETED") != 4 {
		t.Errorf("job results:\n%s\nwant 4 COMPLETED: no job may be killed", out)
	}
	waitEvents(t, h, "ScalingPolicy", "queue", map[string]int{v1alpha1.EventDrainStarted: 1, v1alpha1.EventDrainCompleted: 1})
	// The four submits may reach the queue over more than one read, so the growth may take
	// more than one step; no step may go past the 4 nodes the jobs need (the scheduler's
	// allocations are not counted again while the job list catches up), and the last
	// rescale is the shrink back to 2.
	sizes := rescaleSizes(t, h, "queue")
	if len(sizes) < 2 || sizes[len(sizes)-1] != 2 || slices.Max(sizes) != 4 {
		t.Errorf("SuccessfulRescale sizes %v: want growth to at most 4, reaching 4, then 2", sizes)
	}
}

// rescaleSizes returns the new sizes of a ScalingPolicy's SuccessfulRescale events, oldest
// first.
func rescaleSizes(t *testing.T, h *harness.Harness, name string) []int {
	t.Helper()
	var list eventsv1.EventList
	if err := h.Client.List(t.Context(), &list, client.InNamespace(h.Namespace)); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(list.Items, func(a, b eventsv1.Event) int { return a.EventTime.Compare(b.EventTime.Time) })
	var sizes []int
	for _, ev := range list.Items {
		if ev.Regarding.Kind != "ScalingPolicy" || ev.Regarding.Name != name || ev.Reason != v1alpha1.EventSuccessfulRescale {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(ev.Note, "New size: %d;", &n); err != nil {
			t.Fatalf("SuccessfulRescale note %q: %v", ev.Note, err)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// leadPodOf returns the Running pod with completion index 0 of a Job.
func leadPodOf(t *testing.T, h *harness.Harness, job string) string {
	t.Helper()
	var name string
	harness.Eventually(t, operatorBound, "the rank-0 pod Running", func(ctx context.Context) (bool, string) {
		var pods corev1.PodList
		if err := h.Client.List(ctx, &pods, client.InNamespace(h.Namespace), client.MatchingLabels{
			"batch.kubernetes.io/job-name": job, "batch.kubernetes.io/job-completion-index": "0"}); err != nil {
			return false, err.Error()
		}
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				name = p.Name
				return true, ""
			}
		}
		return false, "none yet"
	})
	return name
}
