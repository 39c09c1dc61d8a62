package autoscaler

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// resolveJob reads a bare Indexed Job. A Job a MiniCluster owns is refused: its operator
// reverts any patch of the Job on its next reconcile, so the MiniCluster is what to scale.
func (t *Targets) resolveJob(ctx context.Context, namespace, name string) (*Target, error) {
	job := &batchv1.Job{}
	err := t.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, job)
	if apierrors.IsNotFound(err) {
		return nil, &TargetProblem{Reason: v1alpha1.ReasonTargetNotFound, Message: fmt.Sprintf(
			"Job %s/%s not found: create it or fix targetRef.name", namespace, name)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading Job %s/%s: %w", namespace, name, err)
	}
	if owner, ok := miniClusterOwner(job); ok {
		return nil, &TargetProblem{Reason: v1alpha1.ReasonTargetOwned, Message: fmt.Sprintf(
			"Job %s is owned by MiniCluster %s, whose operator reverts Job patches: "+
				"target the MiniCluster instead (targetRef: {apiVersion: %s, kind: MiniCluster, name: %s})",
			name, owner.Name, owner.APIVersion, owner.Name)}
	}
	if job.Spec.CompletionMode == nil || *job.Spec.CompletionMode != batchv1.IndexedCompletion {
		mode := batchv1.NonIndexedCompletion
		if job.Spec.CompletionMode != nil {
			mode = *job.Spec.CompletionMode
		}
		return nil, &TargetProblem{Reason: v1alpha1.ReasonTargetNotIndexed, Message: fmt.Sprintf(
			"Job %s has completionMode %s: only an Indexed Job can change size (Flux rank i is completion index i); "+
				"recreate it with completionMode: Indexed", name, mode)}
	}
	size := int32(1)
	if job.Spec.Parallelism != nil {
		size = *job.Spec.Parallelism
	}
	return &Target{
		Kind: TargetIndexedJob, Namespace: namespace, Name: name,
		Current: size, Live: size, JobName: name, job: job,
		PodSelector: jobPods(name),
	}, nil
}

// miniClusterOwner returns the MiniCluster owner reference of a Job, if any.
func miniClusterOwner(job *batchv1.Job) (ownerRef, bool) {
	for _, ref := range job.OwnerReferences {
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err == nil && gv.Group == miniClusterGroup && ref.Kind == miniClusterKind {
			return ownerRef{APIVersion: ref.APIVersion, Name: ref.Name}, true
		}
	}
	return ownerRef{}, false
}

// ownerRef is the part of an owner reference the messages need.
type ownerRef struct {
	APIVersion string
	Name       string
}

// scaleJob sets parallelism and completions together, as elastic Indexed Jobs require, with a
// merge patch that carries the resourceVersion read: a Job changed since is not overwritten.
func (t *Targets) scaleJob(ctx context.Context, tgt *Target, size int32) error {
	base := tgt.job.DeepCopy()
	job := tgt.job.DeepCopy()
	job.Spec.Parallelism = &size
	job.Spec.Completions = &size
	if err := t.Writer.Patch(ctx, job, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("patching Job %s/%s parallelism and completions to %d: %w", tgt.Namespace, tgt.Name, size, err)
	}
	tgt.job = job
	return nil
}

// jobPods selects the pods of a Job by the label the Job controller puts on them.
func jobPods(job string) labels.Selector {
	return labels.SelectorFromSet(labels.Set{batchv1.JobNameLabel: job})
}
