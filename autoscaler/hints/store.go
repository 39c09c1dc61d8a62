// Package hints accepts scale hints from applications (an authenticated HTTP API) and keeps
// them in memory for the controller, which reads them on every reconcile and records them in
// status.activeHints so they survive a restart (Seed).
package hints

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/policy"
)

// Store defaults.
const (
	// DefaultMaxSubjects matches the MaxItems of status.activeHints.
	DefaultMaxSubjects = 64
	// DefaultTriggerBuffer is the capacity of the Triggers channel.
	DefaultTriggerBuffer = 1024
)

// StoreOptions configures NewStore; zero fields take the defaults.
type StoreOptions struct {
	// MaxSubjects bounds the hints (one per subject) a policy may hold.
	MaxSubjects int
	// TriggerBuffer is the capacity of the Triggers channel.
	TriggerBuffer int
}

// Store holds the unexpired hints of each policy, at most one per subject (the latest) and
// at most MaxSubjects per policy. It is safe for concurrent use.
//
// Triggers design: Put and Delete send on a buffered channel without blocking; when the
// buffer is full the trigger is dropped and counted (Dropped). That is safe because a trigger
// carries no data, only "reconcile this policy", and the reconcile reads the whole store:
// controller-runtime's channel source drains the buffer into its workqueue (which merges
// duplicates) as fast as triggers come, so a full buffer means the controller is not running
// or is stalled, and its periodic poll picks the hint up once it runs. No goroutine is needed
// and an HTTP handler never waits on the controller.
type Store struct {
	clock       clock.PassiveClock
	maxSubjects int
	triggers    chan event.GenericEvent

	mu       sync.Mutex
	policies map[types.NamespacedName]*entry
	dropped  uint64
}

// NewStore returns an empty store that expires hints by clk.
func NewStore(clk clock.PassiveClock, opts StoreOptions) *Store {
	if opts.MaxSubjects <= 0 {
		opts.MaxSubjects = DefaultMaxSubjects
	}
	if opts.TriggerBuffer <= 0 {
		opts.TriggerBuffer = DefaultTriggerBuffer
	}
	return &Store{
		clock:       clk,
		maxSubjects: opts.MaxSubjects,
		triggers:    make(chan event.GenericEvent, opts.TriggerBuffer),
		policies:    map[types.NamespacedName]*entry{},
	}
}

// Put records h as its subject's hint for the policy, replacing that subject's earlier hint,
// records now as the policy's latest hint time, and triggers a reconcile. It fails with a
// *FullError when the policy holds MaxSubjects hints from other subjects, and when h has
// already expired.
func (s *Store) Put(pol types.NamespacedName, h policy.Hint) error {
	now := s.clock.Now()
	if !h.Expires.After(now) {
		return fmt.Errorf("hint %s from %s expired at %s, before it was stored", h.ID, h.Subject, h.Expires.UTC().Format(time.RFC3339))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entryLocked(pol)
	e.prune(now)
	if _, replacing := e.bySubject[h.Subject]; !replacing && len(e.bySubject) >= s.maxSubjects {
		return &FullError{Policy: pol, Max: s.maxSubjects, RetryAt: e.firstExpiry()}
	}
	e.bySubject[h.Subject] = h
	e.lastReceived = now
	s.triggerLocked(pol)
	return nil
}

// Delete removes subject's hint for the policy and reports whether there was an unexpired
// one; it triggers a reconcile only then.
func (s *Store) Delete(pol types.NamespacedName, subject string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entryLocked(pol)
	e.prune(s.clock.Now())
	if _, ok := e.bySubject[subject]; !ok {
		return false
	}
	delete(e.bySubject, subject)
	s.triggerLocked(pol)
	return true
}

// List returns the policy's unexpired hints sorted by subject, dropping expired ones.
func (s *Store) List(pol types.NamespacedName) []policy.Hint {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.policies[pol]
	if !ok {
		return nil
	}
	e.prune(s.clock.Now())
	out := make([]policy.Hint, 0, len(e.bySubject))
	for _, h := range e.bySubject {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b policy.Hint) int { return strings.Compare(a.Subject, b.Subject) })
	return out
}

// Seed restores hints (from status.activeHints) for a policy the store has not heard of
// since it started, and reports whether it did. Once the policy had a Put, Delete or Seed,
// Seed does nothing: status may lag the store, and a hint deleted since must stay deleted.
// Expired hints are skipped; when more than MaxSubjects remain, those expiring last are kept.
func (s *Store) Seed(pol types.NamespacedName, hints []policy.Hint) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.policies[pol]; ok {
		return false
	}
	e := s.entryLocked(pol)
	now := s.clock.Now()
	sorted := slices.Clone(hints)
	slices.SortStableFunc(sorted, func(a, b policy.Hint) int { return b.Expires.Compare(a.Expires) })
	for _, h := range sorted {
		if len(e.bySubject) >= s.maxSubjects {
			break
		}
		if _, dup := e.bySubject[h.Subject]; h.Expires.After(now) && !dup {
			e.bySubject[h.Subject] = h
		}
	}
	return true
}

// Forget drops everything the store holds for a deleted policy.
func (s *Store) Forget(pol types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.policies, pol)
}

// LastReceived is when the policy's latest hint was put (zero: none since start), for
// measuring hint-to-scale latency.
func (s *Store) LastReceived(pol types.NamespacedName) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.policies[pol]; ok {
		return e.lastReceived
	}
	return time.Time{}
}

// Triggers is the channel to give controller-runtime's source.Channel: one event per Put or
// Delete, whose Object is a ScalingPolicy carrying only its name and namespace.
func (s *Store) Triggers() <-chan event.GenericEvent { return s.triggers }

// Dropped counts triggers dropped because the channel was full.
func (s *Store) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

func (s *Store) entryLocked(pol types.NamespacedName) *entry {
	e, ok := s.policies[pol]
	if !ok {
		e = &entry{bySubject: map[string]policy.Hint{}}
		s.policies[pol] = e
	}
	return e
}

func (s *Store) triggerLocked(pol types.NamespacedName) {
	obj := &v1alpha1.ScalingPolicy{ObjectMeta: metav1.ObjectMeta{Name: pol.Name, Namespace: pol.Namespace}}
	select {
	case s.triggers <- event.GenericEvent{Object: obj}:
	default:
		s.dropped++
	}
}
