package liveflux

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/liveflux"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

// TestWatchThroughPodExec follows a live instance's journals through one long-lived
// pods/exec of a real API server: kwok runs the exec on this machine, with the instance's
// flux on PATH and its FLUX_URI. A submit reaches the watcher as a line; stopping the broker
// ends the stream with an error.
func TestWatchThroughPodExec(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 2})
	c := localcluster.StartForTest(t, localcluster.Options{
		Nodes: 1,
		ExecEnv: map[string]string{
			"PATH":     filepath.Join(in.Prefix, "bin") + ":" + os.Getenv("PATH"),
			"FLUX_URI": in.URI,
		},
	})
	ctx := t.Context()
	const ns, podName, container = "flux-operator", "flux-sample-0", "flux-sample"
	if err := c.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: podName, Namespace: ns},
		Spec: corev1.PodSpec{
			NodeName: c.Nodes()[0],
			// kwok never pulls or runs the image; exec runs on this machine.
			Containers: []corev1.Container{{Name: container, Image: "ghcr.io/converged-computing/flux-view-ubuntu:tag-noble"}},
		},
	}
	if _, err := c.Client().CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := c.Client().CoreV1().Pods(ns).Get(ctx, podName, metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, err
	})
	if err != nil {
		t.Fatalf("waiting for pod %s Running: %v", podName, err)
	}
	runner, err := flux.NewPodExecRunner(c.RESTConfig(), flux.PodTarget{Namespace: ns, Pod: podName, Container: container})
	if err != nil {
		t.Fatal(err)
	}
	w := flux.NewJournalWatcher(flux.NewPython(runner, flux.CLIOptions{}), runner, flux.JournalOptions{Resync: 10 * time.Minute, Heartbeat: time.Second})
	t.Cleanup(w.Close)
	r := &watchRig{t: t, in: in, watcher: w}
	r.until("the first state", func(st flux.State) bool { return st.Nodes.Up == 2 })

	in.MustRun("submit", "--urgency=hold", "true")
	submitted := time.Now()
	r.until("the held job", func(st flux.State) bool { return st.Counts.Held == 1 })
	t.Logf("held job seen through pods/exec %v after flux submit returned", time.Since(submitted))

	in.Stop()
	var last error
	in.WaitFor("the exec stream's end after the broker stopped", func() bool {
		_, last = w.Watch(ctx, r.since)
		return last != nil && strings.HasPrefix(last.Error(), "journal watcher")
	})
	t.Logf("broker stopped: %v", last)
}
