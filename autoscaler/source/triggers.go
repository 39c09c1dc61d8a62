package source

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Triggers remembers, per policy, the first trigger not yet seen by a reconcile (a hint
// posted, a Flux state change) and when it arrived, so the trigger-to-scale latency can be
// measured without carrying a time through the workqueue (whose items are only names).
type Triggers struct {
	mu      sync.Mutex
	pending map[types.NamespacedName]Trigger
}

// Trigger is one event that asked for a reconcile.
type Trigger struct {
	Kind string // a controllermetrics.Trigger* constant
	At   time.Time
}

// NewTriggers returns an empty log.
func NewTriggers() *Triggers {
	return &Triggers{pending: map[types.NamespacedName]Trigger{}}
}

// Mark records a trigger unless an earlier one is still pending: the latency counts from the
// first event the reconcile answers.
func (l *Triggers) Mark(key types.NamespacedName, kind string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.pending[key]; !ok {
		l.pending[key] = Trigger{Kind: kind, At: at}
	}
}

// Take returns and clears the policy's pending trigger.
func (l *Triggers) Take(key types.NamespacedName) (Trigger, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.pending[key]
	delete(l.pending, key)
	return t, ok
}
