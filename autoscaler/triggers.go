package autoscaler

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// triggerLog remembers, per policy, the first trigger not yet seen by a reconcile (a hint
// posted, a Flux state change) and when it arrived, so the trigger-to-scale latency can be
// measured without carrying a time through the workqueue (whose items are only names).
type triggerLog struct {
	mu      sync.Mutex
	pending map[types.NamespacedName]trigger
}

// trigger is one event that asked for a reconcile.
type trigger struct {
	kind string // a controllermetrics.Trigger* constant
	at   time.Time
}

func newTriggerLog() *triggerLog {
	return &triggerLog{pending: map[types.NamespacedName]trigger{}}
}

// mark records a trigger unless an earlier one is still pending: the latency counts from the
// first event the reconcile answers.
func (l *triggerLog) mark(key types.NamespacedName, kind string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.pending[key]; !ok {
		l.pending[key] = trigger{kind: kind, at: at}
	}
}

// take returns and clears the policy's pending trigger.
func (l *triggerLog) take(key types.NamespacedName) (trigger, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.pending[key]
	delete(l.pending, key)
	return t, ok
}
