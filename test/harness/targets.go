package harness

import (
	"context"
	"fmt"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/minicluster"
)

// CreateMiniCluster creates a MiniCluster of size pods that may grow to maxSize; the
// stand-in operator gives it an Indexed Job of the same name, its pods pinned to Node.
func (h *Harness) CreateMiniCluster(ctx context.Context, name string, size, maxSize int32) (v1alpha1.TargetRef, error) {
	mc := builders.MakeMiniCluster(name, h.Namespace).Size(size).MaxSize(maxSize).Interactive().Obj()
	if err := h.Client.Create(ctx, mc); err != nil {
		return v1alpha1.TargetRef{}, fmt.Errorf("creating MiniCluster %s: %w", name, err)
	}
	return v1alpha1.TargetRef{APIVersion: minicluster.GroupVersion.String(), Kind: minicluster.Kind, Name: name}, nil
}

// CreateIndexedJob creates a bare elastic Indexed Job of size pods pinned to Node.
func (h *Harness) CreateIndexedJob(ctx context.Context, name string, size int32) (v1alpha1.TargetRef, error) {
	job := builders.MakeIndexedJob(name, h.Namespace).Parallelism(size).NodeName(h.Node).Obj()
	if err := h.Client.Create(ctx, job); err != nil {
		return v1alpha1.TargetRef{}, fmt.Errorf("creating Job %s: %w", name, err)
	}
	return v1alpha1.TargetRef{APIVersion: "batch/v1", Kind: "Job", Name: name}, nil
}
