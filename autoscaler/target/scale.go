package target

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/scale"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// scaleResource is any resource with a /scale subresource: its size is spec.replicas there.
type scaleResource struct {
	info     Info
	scales   scale.ScalesGetter
	resource schema.GroupResource
	scale    *autoscalingv1.Scale // as read: its resourceVersion guards the update
}

var _ Target = (*scaleResource)(nil)

func (s *scaleResource) Info() *Info { return &s.info }

// resolveScale reads a target's /scale subresource.
func (r *Resolver) resolveScale(ctx context.Context, namespace, name string, mapping *meta.RESTMapping) (*scaleResource, error) {
	gr := mapping.Resource.GroupResource()
	sc, err := r.Scales.Scales(namespace).Get(ctx, gr, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &Problem{Reason: v1alpha1.ReasonTargetNotFound, Message: fmt.Sprintf(
			"%s %s/%s not found (or it has no /scale subresource): create it or fix targetRef.name", mapping.GroupVersionKind.Kind, namespace, name)}
	}
	if err != nil {
		return nil, &Problem{Reason: v1alpha1.ReasonFailedGetScale, Message: fmt.Sprintf(
			"reading the /scale of %s %s/%s: %v", mapping.GroupVersionKind.Kind, namespace, name, err)}
	}
	s := &scaleResource{
		info: Info{
			Kind: KindScale, Namespace: namespace, Name: name,
			Current: sc.Spec.Replicas, Live: sc.Spec.Replicas,
		},
		scales: r.Scales, resource: gr, scale: sc,
	}
	if sel, err := labels.Parse(sc.Status.Selector); err == nil && sc.Status.Selector != "" {
		s.info.PodSelector = sel
	}
	return s, nil
}

// Scale updates /scale with the resourceVersion read, so a concurrent change fails with a
// conflict instead of being overwritten.
func (s *scaleResource) Scale(ctx context.Context, size int32) error {
	if err := s.update(ctx, size); err != nil {
		return err
	}
	s.info.Live = size
	return nil
}

// Scaled is Info with both sizes at size: the controller owning the replicas runs what /scale says.
func (s *scaleResource) Scaled(size int32) Info {
	i := s.info
	i.Current, i.Live = size, size
	return i
}

// update writes spec.replicas; Live is the caller's to change.
func (s *scaleResource) update(ctx context.Context, size int32) error {
	if err := checkSize(&s.info, size); err != nil {
		return err
	}
	sc := s.scale.DeepCopy()
	sc.Spec.Replicas = size
	updated, err := s.scales.Scales(s.info.Namespace).Update(ctx, s.resource, sc, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("updating the /scale of %s %s/%s to %d: %w", s.info.Kind, s.info.Namespace, s.info.Name, size, err)
	}
	s.scale = updated
	s.info.Current = size
	return nil
}
