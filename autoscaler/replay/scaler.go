// Package replay runs a workload through the simulated Flux cluster under a scaler: the
// ScalingPolicy through the same policy.Decide path the controller takes, or a baseline
// (static sizes, HPA on the pending-job count), and summarizes what each one cost and gave.
package replay

import (
	"context"
	"fmt"
	"time"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// Scaler decides the size of a simulated cluster.
type Scaler interface {
	// Name labels the scaler's results.
	Name() string
	// InitialSize is the size the cluster starts at.
	InitialSize() int32
	// Cadence says when Decide runs.
	Cadence() Cadence
	// Decide reads the cluster at its current time and acts on it (resize, drain, undrain).
	Decide(ctx context.Context, cl *simulated.Cluster) error
}

// Cadence is when a scaler decides.
type Cadence struct {
	// Period is the longest time between decisions; 0 means the scaler never decides.
	Period time.Duration
	// OnChange also decides right after the Flux state changes (the controller's watch
	// triggers), at most once per MinGap.
	OnChange bool
	MinGap   time.Duration
}

// Static keeps the cluster at one size: what a MiniCluster without an autoscaler does.
type Static struct {
	Label string
	Size  int32
}

// Name is the label.
func (s Static) Name() string { return s.Label }

// InitialSize is the fixed size.
func (s Static) InitialSize() int32 { return s.Size }

// Cadence never decides.
func (s Static) Cadence() Cadence { return Cadence{} }

// Decide does nothing: Static never decides.
func (s Static) Decide(context.Context, *simulated.Cluster) error {
	return fmt.Errorf("static scaler %q was asked to decide", s.Label)
}
