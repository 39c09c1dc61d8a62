package fluxoperator

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// MiniClusterResource is the operator's MiniCluster resource.
var MiniClusterResource = schema.GroupVersionResource{Group: "flux-framework.org", Version: "v1alpha2", Resource: "miniclusters"}

// emulate plays the kubelet's part for the operator's pods until ctx ends: it binds pending
// pods to the kwok node (there is no scheduler), and starts a pod's broker once kwok marks
// it Running and stops it once the pod is being deleted or gone.
func (op *Operator) emulate(ctx context.Context, logf func(format string, args ...any)) {
	client := op.cluster.Client()
	dyn, err := dynamic.NewForConfig(op.cluster.RESTConfig())
	if err != nil {
		logf("fluxoperator: %v", err)
		return
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	pods := factory.Core().V1().Pods().Informer()
	sync := func(obj any) {
		pod, ok := obj.(*corev1.Pod)
		if !ok {
			return
		}
		if err := op.syncPod(ctx, dyn, pod); err != nil && ctx.Err() == nil {
			logf("fluxoperator: pod %s/%s: %v", pod.Namespace, pod.Name, err)
		}
	}
	_, err = pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    sync,
		UpdateFunc: func(_, obj any) { sync(obj) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if pod, ok := obj.(*corev1.Pod); ok {
				op.podGone(pod)
			}
		},
	})
	if err != nil {
		logf("fluxoperator: %v", err)
		return
	}
	factory.Start(ctx.Done())
	<-ctx.Done()
	factory.Shutdown()
}

// syncPod binds a pending pod and runs the broker of a Running one.
func (op *Operator) syncPod(ctx context.Context, dyn dynamic.Interface, pod *corev1.Pod) error {
	mc, rank, ok := miniClusterPod(pod)
	if !ok {
		return nil
	}
	switch {
	case pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		op.podGone(pod)
		return nil
	case pod.Spec.NodeName == "":
		return op.bind(ctx, pod)
	case pod.Status.Phase != corev1.PodRunning:
		return nil
	}
	in, err := op.instance(ctx, dyn, pod.Namespace, mc)
	if err != nil {
		return err
	}
	return in.start(rank, podID(pod))
}

// podGone stops the broker of a pod that is being deleted or is gone.
func (op *Operator) podGone(pod *corev1.Pod) {
	mc, rank, ok := miniClusterPod(pod)
	if !ok {
		return
	}
	op.mu.Lock()
	in := op.instances[pod.Namespace+"/"+mc]
	op.mu.Unlock()
	if in != nil {
		in.stopRank(rank, podID(pod))
	}
}

func (op *Operator) bind(ctx context.Context, pod *corev1.Pod) error {
	nodes := op.cluster.Nodes()
	if len(nodes) == 0 {
		return fmt.Errorf("no kwok node to bind to: start the cluster with Nodes >= 1")
	}
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: nodes[0]},
	}
	err := op.cluster.Client().CoreV1().Pods(pod.Namespace).Bind(ctx, b, metav1.CreateOptions{})
	if apierrors.IsConflict(err) {
		return nil // bound already: this event was older than our own binding
	}
	return err
}

// instance returns the MiniCluster's Flux instance, configuring it on first use from the
// MiniCluster's maxSize (or size) and mountPath.
func (op *Operator) instance(ctx context.Context, dyn dynamic.Interface, namespace, name string) (*instance, error) {
	key := namespace + "/" + name
	op.mu.Lock()
	defer op.mu.Unlock()
	if in, ok := op.instances[key]; ok {
		return in, nil
	}
	mc, err := dyn.Resource(MiniClusterResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading MiniCluster %s: %w", key, err)
	}
	size, _, _ := unstructured.NestedInt64(mc.Object, "spec", "size")
	maxSize, _, _ := unstructured.NestedInt64(mc.Object, "spec", "maxSize")
	maxSize = max(maxSize, size)
	mountPath, _, _ := unstructured.NestedString(mc.Object, "spec", "flux", "container", "mountPath")
	if mountPath == "" {
		mountPath = PodMountRoot + "/flux"
	}
	l, err := newLayout(op.root, mountPath)
	if err != nil {
		return nil, err
	}
	prefix := filepath.Dir(filepath.Dir(op.flux))
	if err := l.write(prefix); err != nil {
		return nil, fmt.Errorf("laying out %s for MiniCluster %s: %w", mountPath, key, err)
	}
	in, err := newInstance(filepath.Join(op.dir, namespace+"-"+name), op.cluster.LogDir(), op.flux, l, name, int(maxSize))
	if err != nil {
		return nil, fmt.Errorf("configuring the Flux instance of MiniCluster %s: %w", key, err)
	}
	op.instances[key] = in
	return in, nil
}

// Instance returns the Flux instance of a MiniCluster once its first pod ran, for tests to
// ask Flux itself (Flux, WaitOnline).
func (op *Operator) Instance(namespace, name string) (*Instance, bool) {
	op.mu.Lock()
	defer op.mu.Unlock()
	in, ok := op.instances[namespace+"/"+name]
	if !ok {
		return nil, false
	}
	return &Instance{in: in}, true
}

// miniClusterPod returns the MiniCluster (the operator names its Job after it) and the rank
// of a pod the operator's Job made.
func miniClusterPod(pod *corev1.Pod) (string, int, bool) {
	job := pod.Labels[batchv1.JobNameLabel]
	idx, err := strconv.Atoi(pod.Labels[batchv1.JobCompletionIndexAnnotation])
	// The operator labels its pods app=flux-operator (pkg controllers/flux/pods.go).
	if job == "" || err != nil || pod.Labels["app"] != "flux-operator" {
		return "", 0, false
	}
	for _, ref := range pod.OwnerReferences {
		if ref.Kind == "Job" && ref.Name == job {
			return job, idx, true
		}
	}
	return "", 0, false
}

func podID(pod *corev1.Pod) string { return pod.Name + "/" + string(pod.UID) }
