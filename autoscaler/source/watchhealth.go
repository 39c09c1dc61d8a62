package source

import (
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// What a feeder last learned of its watch, for the FluxWatch condition.
const (
	// WatchFollowing: the last Watch returned a state (or waited its bound without error).
	WatchFollowing = "Following"
	// WatchBroken: the last Watch failed; the feeder retries with backoff.
	WatchBroken = "Broken"
	// WatchUnavailable: the source cannot follow Flux here at all (flux.ErrJournalUnavailable);
	// the feeder tries again after unavailableRetry.
	WatchUnavailable = "Unavailable"
)

// maxWatchError bounds the error text kept for a condition message: an exec's stderr can be
// long, and a condition is read by people.
const maxWatchError = 300

// WatchHealth is what a policy's feeder last learned of its watch.
type WatchHealth struct {
	State string
	// Err is the last failure (Broken, Unavailable), shortened.
	Err string
	// Since is when State began; Retry, when Broken or Unavailable, is the next attempt.
	Since, Retry time.Time
}

// Health is what the policy's running feeder last learned of its watch; false before its first
// Watch returned, or when no feeder runs for it.
func (f *Feeders) Health(key types.NamespacedName) (WatchHealth, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fd, ok := f.running[key]
	if !ok || fd.health.State == "" {
		return WatchHealth{}, false
	}
	return fd.health, true
}

// setHealth records the feeder's watch state; Since moves only when State changes.
func (f *Feeders) setHealth(fd *feeder, state string, err error, retry time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := WatchHealth{State: state, Since: fd.health.Since, Retry: retry}
	if fd.health.State != state {
		h.Since = f.clock.Now()
	}
	if err != nil {
		h.Err = err.Error()
		if len(h.Err) > maxWatchError {
			// A cut can split a UTF-8 sequence; a condition message must stay valid text.
			h.Err = strings.ToValidUTF8(h.Err[:maxWatchError], "") + "..."
		}
	}
	fd.health = h
}
