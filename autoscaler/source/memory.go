package source

import (
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// Memory keeps, across reconciles of this process, each policy's last good Flux state and
// when it was read, its last drain or undrain, and the status its last pass computed. Status
// keeps the time too (signals' lastUpdate), so a restarted controller neither forgets how old
// its data is nor mistakes none for fresh.
type Memory struct {
	mu     sync.Mutex
	last   map[types.NamespacedName]GoodState
	fences map[types.NamespacedName]Fence
	kept   map[types.NamespacedName]KeptStatus
}

// KeptStatus is the status a policy's last pass computed and the status the API server held
// after it. They differ only in clocks the pass judged not worth a write (a signal's
// lastUpdate, the newest recommendation's time), which the next pass decides on.
type KeptStatus struct {
	UID      types.UID
	Computed v1alpha1.ScalingPolicyStatus
	Written  v1alpha1.ScalingPolicyStatus
}

// Fence is the last drain or undrain of a policy: a shrink may act only on Flux state
// observed after it, since a state read before says nothing of the jobs Flux placed on ranks
// it just gave back.
type Fence struct {
	// At is when the drain or undrain returned (the controller's clock).
	At time.Time
	// Version is the Version of the newest state read before it (0: unknown).
	Version uint64
	// Reason is the drain's reason, which holds a marker no other drain carries, and Ranks
	// the ranks it drained; both are empty for an undrain.
	Reason string
	Ranks  flux.RankSet
}

// After reports whether st was observed after the fence: stamped later, or a later version
// of the same source (which helps when the source's clock lags ours).
func (f Fence) After(st flux.State) bool {
	return st.ObservedAt.After(f.At) || (f.Version != 0 && st.Version > f.Version)
}

// ProvenBy reports whether st shows, by its content rather than its stamp, that it was read
// after the fence's drain took hold: st has the scheduler's own view (flux.State
// SchedulerView), and every rank of the drain shows drained with the drain's exact reason
// and down in the scheduler. Flux drops a rank's reason when it is undrained and keeps an
// earlier one when it is drained again, so the reason shows only between this drain and
// the next undrain; an undrain's fence is never proven this way.
func (f Fence) ProvenBy(st flux.State) bool {
	if f.Reason == "" || len(f.Ranks) == 0 || !st.SchedulerView || !st.PerRank {
		return false
	}
	for _, r := range f.Ranks {
		i := slices.IndexFunc(st.Ranks, func(rk flux.Rank) bool { return rk.Rank == r })
		if i < 0 {
			return false
		}
		if rk := st.Ranks[i]; rk.Drain == "" || rk.Reason != f.Reason || !rk.SchedulerDown {
			return false
		}
	}
	return true
}

// GoodState is a Flux state read without error, and when.
type GoodState struct {
	State flux.State
	At    time.Time
	// Streamed is set when State came with a watch (the Exec stream's program read, or an
	// agent's snapshot; At its arrival) rather than from a read this process made. Such a
	// state may grow, hold, drain and undrain, but its stamp never satisfies a Fence (a state
	// read before a drain can arrive after it returned): only its content can
	// (Fence.ProvenBy).
	Streamed bool
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{
		last:   map[types.NamespacedName]GoodState{},
		fences: map[types.NamespacedName]Fence{},
		kept:   map[types.NamespacedName]KeptStatus{},
	}
}

// Get returns the policy's last good state, if this process read one.
func (m *Memory) Get(key types.NamespacedName) (GoodState, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.last[key]
	return g, ok
}

// Put records a good read.
func (m *Memory) Put(key types.NamespacedName, g GoodState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last[key] = g
}

// Forget drops a deleted policy's state.
func (m *Memory) Forget(key types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.last, key)
	delete(m.fences, key)
	delete(m.kept, key)
}

// SetFence records a drain or undrain of the policy's ranks.
func (m *Memory) SetFence(key types.NamespacedName, f Fence) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fences[key] = f
}

// Fence returns the policy's last drain or undrain in this process.
func (m *Memory) Fence(key types.NamespacedName) (Fence, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fences[key]
	return f, ok
}

// KeepStatus records the status a pass computed and the one the API server holds.
func (m *Memory) KeepStatus(key types.NamespacedName, k KeptStatus) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kept[key] = k
}

// KeptStatus returns what KeepStatus last recorded for the policy in this process.
func (m *Memory) KeptStatus(key types.NamespacedName) (KeptStatus, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.kept[key]
	return k, ok
}
