package agent

import (
	"reflect"
	"sync"
	"time"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// store holds the latest read of Flux. It versions states by content and wakes waiters
// whenever the version or the success of the latest read changes.
type store struct {
	// first is the version of the first state. It grows with the time the store was made,
	// so a restarted agent does not hand out a version a client already holds for other
	// content: the old agent would have needed 65536 changes a second to reach it. It stays
	// below 2^53, so the version also survives as a float64 (Prometheus, JSON in browsers).
	first uint64

	mu sync.Mutex
	// state is the last good state, Version set by us (0: none yet).
	state flux.State
	// err is the latest read's error; nil when it succeeded.
	err error
	// lastRead describes the latest read, good or bad.
	lastRead readInfo
	// reads counts finished reads by outcome.
	okReads, failedReads uint64
	// changed is closed and replaced when the version or err's nil-ness changes.
	changed chan struct{}
}

// readInfo describes one read of Flux.
type readInfo struct {
	At       time.Time
	Duration time.Duration
}

// snapshot is a consistent copy of the store.
type snapshot struct {
	State                flux.State
	Err                  error
	LastRead             readInfo
	OKReads, FailedReads uint64
}

func newStore(now time.Time) *store {
	first := uint64(max(now.Unix(), 1)) << 16
	return &store{first: first, changed: make(chan struct{})}
}

// publish records a read. A good state gets the next version only if its content (all but
// ObservedAt and Version) differs from the previous good state's.
func (s *store) publish(st flux.State, err error, info readInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastRead = info
	if st.Jobs == nil {
		// An empty queue is served as "jobs": [], not null: clients read the list without
		// a null check.
		st.Jobs = []flux.Job{}
	}
	wake := (err == nil) != (s.err == nil)
	s.err = err
	if err != nil {
		s.failedReads++
	} else {
		s.okReads++
		version := s.state.Version
		switch {
		case version == 0:
			version, wake = s.first, true
		case !sameContent(s.state, st):
			version, wake = version+1, true
		}
		st.Version = version
		s.state = st
	}
	if wake {
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// sameContent compares states ignoring when they were read and how they were versioned.
func sameContent(a, b flux.State) bool {
	a.ObservedAt, b.ObservedAt = time.Time{}, time.Time{}
	a.Version, b.Version = 0, 0
	return reflect.DeepEqual(a, b)
}

// get returns the store's contents and a channel closed at the next change.
func (s *store) get() (snapshot, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return snapshot{
		State: s.state, Err: s.err, LastRead: s.lastRead,
		OKReads: s.okReads, FailedReads: s.failedReads,
	}, s.changed
}

// current reports whether the snapshot has a state to serve: a read succeeded and the
// latest one did too.
func (s snapshot) current() bool { return s.Err == nil && s.State.Version != 0 }
