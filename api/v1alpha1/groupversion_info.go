// Package v1alpha1 holds the ScalingPolicy API: what a user declares to autoscale a Flux
// MiniCluster or an elastic Indexed Job, and what the controller reports back.
//
// +kubebuilder:object:generate=true
// +groupName=fluxscale.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of ScalingPolicy.
var GroupVersion = schema.GroupVersion{Group: "fluxscale.dev", Version: "v1alpha1"}

// SchemeBuilder registers the types of this package; AddToScheme adds them to a scheme.
var (
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	AddToScheme   = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &ScalingPolicy{}, &ScalingPolicyList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
