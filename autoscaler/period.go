package autoscaler

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// A pass counts its requeue from its own start (every time in a pass is p.now), and a
// poll is a period: neither the pass itself (its Flux read, its writes through a busy API
// server) nor the pass running late (its timer or a free worker, on a loaded machine) may
// stretch it. Requeued 10 s after each pass ended, 2,000 policies on a 10 s poll were
// decided 193 times a second instead of 200; counted from each pass's start (mean pass 90
// ms), still 191 on a loaded machine: the passes ran late.

// schedule keeps, per policy, when its next pass is due and the requeue that asked for it.
type schedule struct {
	mu  sync.Mutex
	due map[types.NamespacedName]due
}

type due struct {
	at    time.Time
	every time.Duration
}

func newSchedule() *schedule { return &schedule{due: map[types.NamespacedName]due{}} }

// next returns the requeue to hand the work queue, now, for a pass of key that started at
// start and asked for requeue counted from then. A pass that is the one the same requeue
// asked for, late by less than half of it, counts from when it was due instead, so lateness
// does not add up. A pass that took more than half its requeue (a Flux read that waited out
// flux.timeoutSeconds) waits as long as it took, so a hung source holds a worker at most half
// the time. 0 stays 0: no requeue asked.
func (s *schedule) next(key types.NamespacedName, start, now time.Time, requeue time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if requeue <= 0 {
		delete(s.due, key)
		return requeue
	}
	from := start
	if d, ok := s.due[key]; ok && d.every == requeue && !start.Before(d.at) && start.Sub(d.at) < requeue/2 {
		from = d.at
	}
	elapsed := now.Sub(start)
	wait := max(from.Add(requeue).Sub(now), min(elapsed, requeue), minRecheck)
	s.due[key] = due{at: now.Add(wait), every: requeue}
	return wait
}

// forget drops a deleted policy's schedule.
func (s *schedule) forget(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.due, key)
}
