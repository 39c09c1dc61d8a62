package builders

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fluxscale/fluxscale/test/minicluster"
)

// MiniClusterWrapper builds a MiniCluster (flux-framework.org/v1alpha2) as unstructured, the
// way fluxscale itself sees one: it does not import the operator's Go types.
type MiniClusterWrapper struct {
	spec       map[string]any
	name, ns   string
	containers []any
}

// MakeMiniCluster starts a MiniCluster of size 1 with one container (the Flux runner),
// image NeverPulledImage, and no maxSize (so it can never grow: set MaxSize).
func MakeMiniCluster(name, ns string) *MiniClusterWrapper {
	return &MiniClusterWrapper{
		name:       name,
		ns:         ns,
		spec:       map[string]any{"size": int64(1)},
		containers: []any{map[string]any{"image": NeverPulledImage}},
	}
}

// Obj returns a new unstructured MiniCluster.
func (w *MiniClusterWrapper) Obj() *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion(minicluster.GroupVersion.String())
	u.SetKind(minicluster.Kind)
	u.SetName(w.name)
	u.SetNamespace(w.ns)
	spec := map[string]any{"containers": w.containers}
	for k, v := range w.spec {
		spec[k] = v
	}
	u.Object["spec"] = spec
	// The copy shares nothing with the wrapper, so later setters do not change it.
	return u.DeepCopy()
}

// Size sets spec.size.
func (w *MiniClusterWrapper) Size(n int32) *MiniClusterWrapper {
	w.spec["size"] = int64(n)
	return w
}

// MaxSize sets spec.maxSize.
func (w *MiniClusterWrapper) MaxSize(n int32) *MiniClusterWrapper {
	w.spec["maxSize"] = int64(n)
	return w
}

// MinSize sets spec.minSize.
func (w *MiniClusterWrapper) MinSize(n int32) *MiniClusterWrapper {
	w.spec["minSize"] = int64(n)
	return w
}

// Interactive sets spec.interactive: the broker runs until deleted instead of running one
// command.
func (w *MiniClusterWrapper) Interactive() *MiniClusterWrapper {
	w.spec["interactive"] = true
	return w
}

// HeadlessName sets spec.network.headlessName, the pods' subdomain.
func (w *MiniClusterWrapper) HeadlessName(name string) *MiniClusterWrapper {
	w.spec["network"] = map[string]any{"headlessName": name}
	return w
}

// Containers replaces the container list; each is a loose MiniClusterContainer map
// (image, name, runFlux, command...) holding only JSON values (string, bool, int64, float64,
// []any, map[string]any), as unstructured objects require.
func (w *MiniClusterWrapper) Containers(containers ...map[string]any) *MiniClusterWrapper {
	w.containers = nil
	for _, c := range containers {
		w.containers = append(w.containers, c)
	}
	return w
}
