package hints

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/fluxscale/fluxscale/policy"
)

// entry is one policy's hints. Its presence means the store has heard of the policy since
// it started, which is what makes Seed a no-op for it.
type entry struct {
	bySubject    map[string]policy.Hint
	lastReceived time.Time
}

// FullError is returned by Put when a policy already holds MaxSubjects hints from other
// subjects. RetryAt is when the first of them expires.
type FullError struct {
	Policy  types.NamespacedName
	Max     int
	RetryAt time.Time
}

func (e *FullError) Error() string {
	return fmt.Sprintf("policy %s already holds %d hints from other subjects, the most it keeps: "+
		"retry after %s, when the first expires, or ask one of them to delete theirs", e.Policy, e.Max, e.RetryAt.UTC().Format(time.RFC3339))
}

func (e *entry) prune(now time.Time) {
	for subject, h := range e.bySubject {
		if !h.Expires.After(now) {
			delete(e.bySubject, subject)
		}
	}
}

func (e *entry) firstExpiry() time.Time {
	var first time.Time
	for _, h := range e.bySubject {
		if first.IsZero() || h.Expires.Before(first) {
			first = h.Expires
		}
	}
	return first
}
