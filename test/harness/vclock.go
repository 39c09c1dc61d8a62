package harness

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// VirtualClock is the time of the simulated Flux clusters: the real clock plus every Jump
// so far. Kubernetes and the controller run on real time; only Flux job run times are
// virtual, so a test can end a long job at the moment it chooses (Jump) instead of waiting
// for it, and nothing it asserts depends on how fast a loaded machine is.
type VirtualClock struct {
	clock.RealClock

	mu     sync.Mutex
	offset time.Duration
}

var _ clock.WithTicker = (*VirtualClock)(nil)

// Now is the real time plus the jumps so far.
func (v *VirtualClock) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return time.Now().Add(v.offset)
}

// Since is the virtual time elapsed since t.
func (v *VirtualClock) Since(t time.Time) time.Duration { return v.Now().Sub(t) }

// Jump moves virtual time forward by d (the clusters catch up within one step interval).
// A negative d is ignored: virtual time never goes back.
func (v *VirtualClock) Jump(d time.Duration) {
	if d <= 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.offset += d
}
