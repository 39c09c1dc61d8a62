package target

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

// indexedJob is a bare Indexed Job: its size is parallelism, and completions follow it.
type indexedJob struct {
	info   Info
	writer client.Writer
	job    *batchv1.Job // as read: its resourceVersion guards the patch
}

var _ Target = (*indexedJob)(nil)

func (j *indexedJob) Info() *Info { return &j.info }

// resolveJob reads a bare Indexed Job. A Job a MiniCluster owns is refused: its operator
// reverts any patch of the Job on its next reconcile, so the MiniCluster is what to scale.
func (r *Resolver) resolveJob(ctx context.Context, namespace, name string) (Target, error) {
	job := &batchv1.Job{}
	err := r.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, job)
	if apierrors.IsNotFound(err) {
		return nil, &Problem{Reason: v1alpha1.ReasonTargetNotFound, Message: fmt.Sprintf(
			"Job %s/%s not found: create it or fix targetRef.name", namespace, name)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading Job %s/%s: %w", namespace, name, err)
	}
	if owner, ok := miniClusterOwner(job); ok {
		return nil, &Problem{Reason: v1alpha1.ReasonTargetOwned, Message: fmt.Sprintf(
			"Job %s is owned by MiniCluster %s, whose operator reverts Job patches: "+
				"target the MiniCluster instead (targetRef: {apiVersion: %s, kind: MiniCluster, name: %s})",
			name, owner.Name, owner.APIVersion, owner.Name)}
	}
	if job.Spec.CompletionMode == nil || *job.Spec.CompletionMode != batchv1.IndexedCompletion {
		mode := batchv1.NonIndexedCompletion
		if job.Spec.CompletionMode != nil {
			mode = *job.Spec.CompletionMode
		}
		return nil, &Problem{Reason: v1alpha1.ReasonTargetNotIndexed, Message: fmt.Sprintf(
			"Job %s has completionMode %s: only an Indexed Job can change size (Flux rank i is completion index i); "+
				"recreate it with completionMode: Indexed", name, mode)}
	}
	size := int32(1)
	if job.Spec.Parallelism != nil {
		size = *job.Spec.Parallelism
	}
	return &indexedJob{
		info: Info{
			Kind: KindIndexedJob, Namespace: namespace, Name: name,
			Current: size, Live: size, JobName: name, PodSelector: JobPods(name),
		},
		writer: r.Writer, job: job,
	}, nil
}

// Scale sets parallelism and completions together, as elastic Indexed Jobs require, with a
// merge patch that carries the resourceVersion read: a Job changed since is not overwritten.
func (j *indexedJob) Scale(ctx context.Context, size int32) error {
	if err := checkSize(&j.info, size); err != nil {
		return err
	}
	base := j.job.DeepCopy()
	job := j.job.DeepCopy()
	job.Spec.Parallelism = &size
	job.Spec.Completions = &size
	if err := j.writer.Patch(ctx, job, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("patching Job %s/%s parallelism and completions to %d: %w", j.info.Namespace, j.info.Name, size, err)
	}
	j.job = job
	j.info.Current, j.info.Live = size, size
	return nil
}

// Scaled is Info with parallelism (and completions) at size.
func (j *indexedJob) Scaled(size int32) Info {
	i := j.info
	i.Current, i.Live = size, size
	return i
}

// miniClusterOwner returns the MiniCluster owner reference of a Job, if any.
func miniClusterOwner(job *batchv1.Job) (ownerRef, bool) {
	for _, ref := range job.OwnerReferences {
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err == nil && gv.Group == MiniClusterGroup && ref.Kind == MiniClusterKind {
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

// JobPods selects the pods of a Job by the label the Job controller puts on them.
func JobPods(job string) labels.Selector {
	return labels.SelectorFromSet(labels.Set{batchv1.JobNameLabel: job})
}
