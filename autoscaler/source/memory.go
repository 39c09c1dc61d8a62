package source

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// Memory keeps each policy's last good Flux state and when it was read, across reconciles of
// this process. Status keeps the time too (signals' lastUpdate), so a restarted controller
// neither forgets how old its data is nor mistakes none for fresh.
type Memory struct {
	mu   sync.Mutex
	last map[types.NamespacedName]GoodState
}

// GoodState is a Flux state read without error, and when.
type GoodState struct {
	State flux.State
	At    time.Time
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{last: map[types.NamespacedName]GoodState{}}
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
}
