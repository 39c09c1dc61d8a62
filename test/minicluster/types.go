// Package minicluster gives tests a Flux Operator MiniCluster without the Flux Operator: the
// MiniCluster CRD (flux-framework.org/v1alpha2) with the fields fluxscale reads and writes,
// and a STAND-IN for the operator's MiniCluster controller that reproduces what the real
// operator does with sizes (see StandIn). It is test infrastructure only: nothing here runs
// Flux, and the real operator does much more (config maps, services, the flux-view
// container, bursting...).
//
// Field names, defaults and behaviour were read from github.com/flux-framework/flux-operator
// (api/v1alpha2/minicluster_types.go, config/crd/bases/flux-framework.org_miniclusters.yaml,
// controllers/flux/{minicluster.go,minicluster_controller.go,scale.go,job.go,labels.go}).
//
// The CRD is the hand-written miniclusters.crd.yaml, not generated: the skip marker keeps
// `make manifests` (controller-gen crd paths=./...) from writing one into config/crd.
//
// +kubebuilder:skip
package minicluster

// Regenerate zz_generated.deepcopy.go after changing the types below.
//go:generate go tool controller-gen object paths=.

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the MiniCluster API group and version of the Flux Operator.
var GroupVersion = schema.GroupVersion{Group: "flux-framework.org", Version: "v1alpha2"}

// Kind is the MiniCluster kind; Resource its plural resource name.
const (
	Kind     = "MiniCluster"
	Resource = "miniclusters"
)

// SelectorLabel is the pod label the operator puts on MiniCluster pods and publishes, as
// "hpa-selector=<name>", in status.selector (the scale subresource's label selector).
const SelectorLabel = "hpa-selector"

// IndexLabel is the label the operator patches onto pods afterwards, valued with the index
// parsed from the pod name (labels.go addBrokerLabel); it is not in the pod template.
const IndexLabel = "job-index"

// AddToScheme registers MiniCluster and MiniClusterList.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &MiniCluster{}, &MiniClusterList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}

// MiniCluster mirrors the operator's type for the fields the stand-in uses; other spec
// fields are kept by the API server (the CRD keeps them loose) but not decoded here, so the
// stand-in only ever merge-patches the spec, never updates it whole.
//
// +kubebuilder:object:generate=true
// +kubebuilder:object:root=true
type MiniCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   Spec   `json:"spec"`
	Status Status `json:"status,omitempty"`
}

// MiniClusterList is a list of MiniClusters.
//
// +kubebuilder:object:generate=true
// +kubebuilder:object:root=true
type MiniClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []MiniCluster `json:"items"`
}

// Spec holds the operator's MiniClusterSpec fields that matter for sizing and for the Job.
//
// +kubebuilder:object:generate=true
type Spec struct {
	// Containers run in every pod; with one container it is the Flux runner.
	Containers []Container `json:"containers"`
	// Size is the number of pods (default 1 in the CRD); the scale subresource's spec.replicas.
	Size int32 `json:"size,omitempty"`
	// MaxSize is the largest size allowed; 0 means Size.
	MaxSize int32 `json:"maxSize,omitempty"`
	// MinSize, when set, must not exceed Size or MaxSize.
	MinSize int32 `json:"minSize,omitempty"`
	// BackoffLimit of the Job; 0 means 100, as in the operator.
	BackoffLimit int32 `json:"backoffLimit,omitempty"`
	// DeadlineSeconds becomes the Job's activeDeadlineSeconds (CRD default 31500000).
	DeadlineSeconds int64 `json:"deadlineSeconds,omitempty"`
	// Network names the headless service used as the pods' subdomain.
	Network Network `json:"network,omitempty"`
	// JobLabels are copied onto the Job.
	JobLabels map[string]string `json:"jobLabels,omitempty"`
}

// Container is the part of the operator's MiniClusterContainer the stand-in uses.
//
// +kubebuilder:object:generate=true
type Container struct {
	// Name is required for containers that do not run Flux.
	Name string `json:"name,omitempty"`
	// Image of the container.
	Image string `json:"image,omitempty"`
	// RunFlux marks the Flux runner; a lone container runs Flux whatever this says.
	RunFlux bool `json:"runFlux,omitempty"`
}

// Network is the operator's Network spec.
//
// +kubebuilder:object:generate=true
type Network struct {
	// HeadlessName is the headless service name; default: the MiniCluster's name.
	HeadlessName string `json:"headlessName,omitempty"`
}

// Status is the operator's MiniClusterStatus. The first four fields are required by its CRD,
// hence no omitempty: every status write carries them.
//
// +kubebuilder:object:generate=true
type Status struct {
	// Size is the scale subresource's status.replicas: 0 until the first resize.
	Size int32 `json:"size"`
	// Selector is "hpa-selector=<name>", the scale subresource's label selector.
	Selector string `json:"selector"`
	// Jobid is unused by the operator; kept because its CRD requires it.
	Jobid string `json:"jobid"`
	// MaximumSize is set once, at creation, to max(size, maxSize): the broker's hostlist
	// holds that many hosts, so the cluster can never grow past it.
	MaximumSize int32 `json:"maximumSize"`
	// Conditions as the operator reports them.
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
