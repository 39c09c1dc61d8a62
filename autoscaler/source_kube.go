package autoscaler

import (
	"context"
	"fmt"
	"sync"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/custommetrics"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// KubeSources is the production SourceFactory: it reads Flux from the rank-0 pod (Exec),
// the fluxscale agent (Agent) or flux-metrics-api (CustomMetrics), and pod CPU use from
// metrics.k8s.io.
type KubeSources struct {
	// Config is the controller's API server config (pods/exec, custom metrics).
	Config *rest.Config
	// Reader reads pods and Secrets uncached (the manager's API reader), so the controller
	// needs no cluster-wide pod or Secret cache.
	Reader client.Reader
	// Mapper maps custom metrics objects to kinds.
	Mapper meta.RESTMapper
	// Pods reads the pods' CPU use; nil leaves Utilization's CPU target without data.
	Pods PodUsageReader
	// Clock stamps Flux state; default the real clock.
	Clock clock.PassiveClock
}

var _ SourceFactory = (*KubeSources)(nil)

// NewSource builds the Source spec.flux asks for.
func (k *KubeSources) NewSource(ctx context.Context, sp *v1alpha1.ScalingPolicy, tgt *Target) (Source, error) {
	clk := k.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	src := Source{}
	if wantsPodMetrics(&sp.Spec) {
		src.Pods = k.Pods
	}
	fs := sp.Spec.Flux
	switch fs.Source {
	case v1alpha1.SourceNone:
		return src, nil
	case v1alpha1.SourceCustomMetrics:
		obj := custommetrics.Object{Namespace: sp.Namespace, Resource: "pods", Name: tgt.Name + "-0"}
		if cm := fs.CustomMetrics; cm != nil && cm.Resource != "" && cm.Name != "" {
			obj.Resource, obj.Name = cm.Resource, cm.Name
		}
		c, err := custommetrics.New(k.Config, k.Mapper, obj, clk)
		if err != nil {
			return Source{}, fmt.Errorf("building the CustomMetrics source: %w", err)
		}
		src.Flux = c
		return src, nil
	case v1alpha1.SourceAgent:
		return k.agentSource(ctx, sp, src)
	}
	// Exec, the default.
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
	if tgt.Kind == TargetMiniCluster {
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
