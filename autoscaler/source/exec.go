package source

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// execSource builds the Exec source: flux run in the target's rank-0 pod through pods/exec.
// In a MiniCluster pod flux runs as the operator's entrypoint runs it (flux.MiniClusterRunner:
// flux-view.sh sourced, the socket found for any operator version).
func (k *KubeSources) execSource(sp *v1alpha1.ScalingPolicy, tgt *target.Info, src Source, clk clock.PassiveClock) (Source, error) {
	fs := sp.Spec.Flux
	if tgt.JobName == "" {
		return Source{}, fmt.Errorf("flux.source Exec needs a MiniCluster or Indexed Job target to find the rank-0 pod; "+
			"%s %s has none: use flux.source Agent or CustomMetrics", tgt.Kind, tgt.Name)
	}
	runner := &leadPodRunner{config: k.Config, reader: k.Reader, namespace: sp.Namespace, job: tgt.JobName}
	if fs.Exec != nil {
		runner.container = fs.Exec.Container
	}
	if tgt.Kind == target.KindMiniCluster {
		// The operator names the container that runs the broker after the MiniCluster.
		runner.miniCluster, runner.mountPath = tgt.Name, tgt.FluxMountPath
	}
	c, err := flux.NewReader(k.FluxReader, runner, flux.CLIOptions{Clock: clk})
	if err != nil {
		return Source{}, fmt.Errorf("the controller's flux reader %w", err)
	}
	src.Flux = c
	if k.FluxWatch == WatchStream {
		// One long-lived exec follows Flux's journals, and its program reads the state on
		// its own handle after each change (paced, and always followed by a newer state
		// after a burst) and sends it on the stream. The feeder hands that state to the
		// reconcile it triggers, which grows, holds, drains or undrains on it without a
		// pods/exec read; a shrink still reads Flux through c first (autoscaler/delivered.go).
		// When the stream breaks the feeder backs off and reconnects, while the poll
		// interval keeps reading.
		// Reads are paced at one per execReadInterval after a burst of 3: job-list can be a
		// moment behind the journal, so the first reads after a submit may miss the job, and
		// at the agent's one a second the read that saw it waited for a token (p50 1.0 s from
		// flux submit to the new size on the real operator).
		src.Watcher = flux.NewJournalWatcher(c, runner, flux.JournalOptions{Reads: flux.JournalReadsProgram, MinReadInterval: execReadInterval})
	}
	return src, nil
}

// execReadInterval paces the Exec stream's in-program reads once their burst is spent: at
// most 5 a second on a busy instance, each about 2 ms of the lead broker's CPU on a small
// queue.
const execReadInterval = 200 * time.Millisecond

// How the Exec source learns of changes (KubeSources.FluxWatch).
const (
	// WatchPoll reads Flux only at the poll interval (and on other triggers).
	WatchPoll = "poll"
	// WatchStream also follows Flux's journals through one long-lived pods/exec per policy.
	WatchStream = "stream"
)

// CheckWatch says what is wrong with a -flux-watch value ("" is WatchPoll).
func CheckWatch(w string) error {
	switch w {
	case "", WatchPoll, WatchStream:
		return nil
	}
	return fmt.Errorf("%q: want %s or %s", w, WatchStream, WatchPoll)
}

// leadPodRunner runs flux in the pod with completion index 0 of a Job (Flux rank 0, the lead
// broker), finding the pod again after a failure: pods are replaced, names change.
type leadPodRunner struct {
	config    *rest.Config
	reader    client.Reader
	namespace string
	job       string
	// container is flux.exec.container; empty picks the MiniCluster's application container
	// (named after it) when the pod has one, else the pod's only container.
	container string
	// miniCluster names the MiniCluster target ("" for a bare Indexed Job), whose pods run
	// flux under mountPath.
	miniCluster string
	mountPath   string

	mu       sync.Mutex
	runner   flux.Runner
	streamer flux.StreamRunner
}

var _ flux.StreamRunner = (*leadPodRunner)(nil)

// Stream runs argv in the lead pod as one long-lived exec; a failed stream finds the pod
// again next time (the pod may have been replaced).
func (l *leadPodRunner) Stream(ctx context.Context, argv []string, stdout io.Writer) (flux.Result, error) {
	if _, err := l.current(ctx); err != nil {
		return flux.Result{}, err
	}
	l.mu.Lock()
	streamer := l.streamer
	l.mu.Unlock()
	res, err := streamer.Stream(ctx, argv, stdout)
	if err != nil {
		l.mu.Lock()
		if l.streamer == streamer {
			l.runner, l.streamer = nil, nil
		}
		l.mu.Unlock()
	}
	return res, err
}

// Run runs argv in the lead pod.
func (l *leadPodRunner) Run(ctx context.Context, argv []string) (flux.Result, error) {
	runner, err := l.current(ctx)
	if err != nil {
		return flux.Result{}, err
	}
	res, err := runner.Run(ctx, argv)
	if err != nil {
		l.mu.Lock()
		if l.runner == runner {
			l.runner = nil
		}
		l.mu.Unlock()
	}
	return res, err
}

func (l *leadPodRunner) current(ctx context.Context) (flux.Runner, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runner != nil {
		return l.runner, nil
	}
	pod, err := leadPod(ctx, l.reader, l.namespace, l.job)
	if err != nil {
		return nil, err
	}
	container := l.container
	if container == "" && l.miniCluster != "" && hasContainer(pod, l.miniCluster) {
		container = l.miniCluster
	}
	r, err := flux.NewPodExecRunner(l.config, flux.PodTarget{Namespace: l.namespace, Pod: pod.Name, Container: container})
	if err != nil {
		return nil, err
	}
	l.runner, l.streamer = r, plainStream{r}
	if l.miniCluster != "" {
		where := fmt.Sprintf("pod %s/%s", l.namespace, pod.Name)
		if container != "" {
			where += fmt.Sprintf(" container %q", container)
		}
		l.runner = flux.MiniClusterRunner{Pod: r, MountPath: l.mountPath, Where: where}
		l.streamer = flux.MiniClusterStreamRunner{Pod: r, MountPath: l.mountPath, Where: where}
	}
	return l.runner, nil
}

// plainStream streams argv as it is (a bare Indexed Job's pod: flux on the PATH).
type plainStream struct{ r *flux.PodExecRunner }

func (p plainStream) Stream(ctx context.Context, argv []string, stdout io.Writer) (flux.Result, error) {
	return p.r.Stream(ctx, argv, stdout)
}

func hasContainer(pod *corev1.Pod, name string) bool {
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return true
		}
	}
	return false
}

// leadPod finds the running pod with completion index 0 of a Job.
func leadPod(ctx context.Context, reader client.Reader, namespace, job string) (*corev1.Pod, error) {
	var pods corev1.PodList
	sel := labels.SelectorFromSet(labels.Set{batchv1.JobNameLabel: job, batchv1.JobCompletionIndexAnnotation: "0"})
	if err := reader.List(ctx, &pods, client.InNamespace(namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, fmt.Errorf("listing the rank-0 pod of Job %s/%s: %w", namespace, job, err)
	}
	for i, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			return &pods.Items[i], nil
		}
	}
	return nil, fmt.Errorf("no running pod with completion index 0 (Flux rank 0) in Job %s/%s yet", namespace, job)
}
