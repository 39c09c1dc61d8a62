package minicluster

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// defaultBackoffLimit is the operator's Job backoffLimit when spec.backoffLimit is 0.
const defaultBackoffLimit = 100

// newJob builds the Indexed Job the operator creates for mc (controllers/flux/job.go
// NewMiniClusterJob): named like the MiniCluster, completions == parallelism == spec.size,
// pod labels as getPodLabels plus hpa-selector, the headless service as subdomain, so the Job
// controller names pods' hosts <name>-<index>. Unlike the operator it pins pods to nodeName,
// because the test clusters run no scheduler, and it leaves out the flux-view init container,
// volumes and affinity, which only matter to a real Flux.
func newJob(mc *MiniCluster, nodeName string) *batchv1.Job {
	backoffLimit := int32(defaultBackoffLimit)
	if mc.Spec.BackoffLimit != 0 {
		backoffLimit = mc.Spec.BackoffLimit
	}
	subdomain := mc.Spec.Network.HeadlessName
	if subdomain == "" {
		subdomain = mc.Name
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:      mc.Name,
			Namespace: mc.Namespace,
			Labels:    mc.Spec.JobLabels,
		},
		Spec: batchv1.JobSpec{
			BackoffLimit:   &backoffLimit,
			Completions:    ptr.To(mc.Spec.Size),
			Parallelism:    ptr.To(mc.Spec.Size),
			CompletionMode: ptr.To(batchv1.IndexedCompletion),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: PodLabels(mc)},
				Spec: corev1.PodSpec{
					Subdomain:     subdomain,
					NodeName:      nodeName,
					RestartPolicy: corev1.RestartPolicyOnFailure,
					Containers:    containers(mc),
				},
			},
		},
	}
	if mc.Spec.DeadlineSeconds > 0 {
		job.Spec.ActiveDeadlineSeconds = ptr.To(mc.Spec.DeadlineSeconds)
	}
	return job
}

// PodLabels are the labels of a MiniCluster's pod template, as the operator sets them.
func PodLabels(mc *MiniCluster) map[string]string {
	return map[string]string{
		"namespace":              mc.Namespace,
		"app":                    "flux-operator",
		"app.kubernetes.io/name": mc.Name,
		SelectorLabel:            mc.Name,
	}
}

// containers maps the spec's containers to pod containers. The Flux runner (the lone
// container, or the one with runFlux) is named like the MiniCluster, as in the operator's
// getContainers; kwok never pulls images, so an empty image gets a placeholder.
func containers(mc *MiniCluster) []corev1.Container {
	var out []corev1.Container
	for i, c := range mc.Spec.Containers {
		name := c.Name
		switch {
		case c.RunFlux || len(mc.Spec.Containers) == 1:
			name = mc.Name
		case name == "":
			name = fmt.Sprintf("container-%d", i)
		}
		image := c.Image
		if image == "" {
			image = "fluxscale.invalid/no-image:v0"
		}
		out = append(out, corev1.Container{Name: name, Image: image})
	}
	if len(out) == 0 {
		out = append(out, corev1.Container{Name: mc.Name, Image: "fluxscale.invalid/no-image:v0"})
	}
	return out
}
