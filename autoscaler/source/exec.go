package source

import (
	"context"
	"fmt"
	"sync"

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

// execSource builds the Exec source: the flux CLI run in the target's rank-0 pod.
func (k *KubeSources) execSource(sp *v1alpha1.ScalingPolicy, tgt *target.Info, src Source, clk clock.PassiveClock) (Source, error) {
	fs := sp.Spec.Flux
	if tgt.JobName == "" {
		return Source{}, fmt.Errorf("flux.source Exec needs a MiniCluster or Indexed Job target to find the rank-0 pod; "+
			"%s %s has none: use flux.source Agent or CustomMetrics", tgt.Kind, tgt.Name)
	}
	container := ""
	if fs.Exec != nil {
		container = fs.Exec.Container
	}
	runner := &leadPodRunner{config: k.Config, reader: k.Reader, namespace: sp.Namespace, job: tgt.JobName, container: container}
	var command []string
	if tgt.Kind == target.KindMiniCluster {
		command = flux.MiniClusterCommand(tgt.FluxMountPath)
	}
	src.Flux = flux.NewCLI(runner, flux.CLIOptions{Command: command, Clock: clk})
	return src, nil
}

// leadPodRunner runs flux in the pod with completion index 0 of a Job (Flux rank 0, the lead
// broker), finding the pod again after a failure: pods are replaced, names change.
type leadPodRunner struct {
	config    *rest.Config
	reader    client.Reader
	namespace string
	job       string
	container string

	mu     sync.Mutex
	runner *flux.PodExecRunner
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

func (l *leadPodRunner) current(ctx context.Context) (*flux.PodExecRunner, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runner != nil {
		return l.runner, nil
	}
	pod, err := leadPod(ctx, l.reader, l.namespace, l.job)
	if err != nil {
		return nil, err
	}
	r, err := flux.NewPodExecRunner(l.config, flux.PodTarget{Namespace: l.namespace, Pod: pod, Container: l.container})
	if err != nil {
		return nil, err
	}
	l.runner = r
	return r, nil
}

// leadPod finds the running pod with completion index 0 of a Job.
func leadPod(ctx context.Context, reader client.Reader, namespace, job string) (string, error) {
	var pods corev1.PodList
	sel := labels.SelectorFromSet(labels.Set{batchv1.JobNameLabel: job, batchv1.JobCompletionIndexAnnotation: "0"})
	if err := reader.List(ctx, &pods, client.InNamespace(namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return "", fmt.Errorf("listing the rank-0 pod of Job %s/%s: %w", namespace, job, err)
	}
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			return p.Name, nil
		}
	}
	return "", fmt.Errorf("no running pod with completion index 0 (Flux rank 0) in Job %s/%s yet", namespace, job)
}
