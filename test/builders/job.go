package builders

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// NeverPulledImage is the image of built pods: kwok only pretends to run containers, and
// the .invalid domain makes sure no real node ever pulls it.
const NeverPulledImage = "fluxscale.invalid/never-pulled:v0"

// JobWrapper builds a batch/v1 Job.
type JobWrapper struct{ j batchv1.Job }

// MakeIndexedJob starts an elastic Indexed Job: parallelism == completions == 1, one
// container, restartPolicy Never, pods labelled job-name=<name> by the Job controller.
// Set NodeName when no scheduler runs.
func MakeIndexedJob(name, ns string) *JobWrapper {
	return &JobWrapper{j: batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: batchv1.JobSpec{
			CompletionMode: ptr.To(batchv1.IndexedCompletion),
			Parallelism:    ptr.To[int32](1),
			Completions:    ptr.To[int32](1),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "worker", Image: NeverPulledImage}},
			}},
		},
	}}
}

// Obj returns the built Job; the wrapper keeps its own copy.
func (w *JobWrapper) Obj() *batchv1.Job { return w.j.DeepCopy() }

// Parallelism sets parallelism and completions to n: elastic Indexed Jobs must keep them
// equal.
func (w *JobWrapper) Parallelism(n int32) *JobWrapper {
	w.j.Spec.Parallelism = ptr.To(n)
	w.j.Spec.Completions = ptr.To(n)
	return w
}

// Completions sets completions alone, e.g. to build a Job that is not elastic.
func (w *JobWrapper) Completions(n int32) *JobWrapper {
	w.j.Spec.Completions = ptr.To(n)
	return w
}

// NonIndexed makes the Job use NonIndexed completions.
func (w *JobWrapper) NonIndexed() *JobWrapper {
	w.j.Spec.CompletionMode = ptr.To(batchv1.NonIndexedCompletion)
	return w
}

// NodeName pins the pods to a node (test clusters run no scheduler).
func (w *JobWrapper) NodeName(node string) *JobWrapper {
	w.j.Spec.Template.Spec.NodeName = node
	return w
}

// Label sets a label on the Job.
func (w *JobWrapper) Label(key, value string) *JobWrapper {
	if w.j.Labels == nil {
		w.j.Labels = map[string]string{}
	}
	w.j.Labels[key] = value
	return w
}

// PodLabel sets a label on the pod template.
func (w *JobWrapper) PodLabel(key, value string) *JobWrapper {
	if w.j.Spec.Template.Labels == nil {
		w.j.Spec.Template.Labels = map[string]string{}
	}
	w.j.Spec.Template.Labels[key] = value
	return w
}

// ControlledBy adds a controller ownerReference, e.g. to a MiniCluster, as its operator does.
func (w *JobWrapper) ControlledBy(apiVersion, kind, name string, uid types.UID) *JobWrapper {
	w.j.OwnerReferences = append(w.j.OwnerReferences, metav1.OwnerReference{
		APIVersion:         apiVersion,
		Kind:               kind,
		Name:               name,
		UID:                uid,
		Controller:         ptr.To(true),
		BlockOwnerDeletion: ptr.To(true),
	})
	return w
}
