package hints

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters holds one token bucket per subject, at most capacity of them: adding one more
// evicts the least recently used. An evicted subject starts again with a full bucket, which
// only matters to someone holding more than capacity valid identities.
type limiters struct {
	rate     rate.Limit
	burst    int
	capacity int

	mu    sync.Mutex
	order *list.List // of *limiterEntry, most recently used first
	index map[string]*list.Element
}

type limiterEntry struct {
	subject string
	limiter *rate.Limiter
}

func newLimiters(r rate.Limit, burst, capacity int) *limiters {
	return &limiters{rate: r, burst: burst, capacity: capacity, order: list.New(), index: map[string]*list.Element{}}
}

// allow takes a token from subject's bucket at now. When there is none it returns false and
// how long until the next one.
func (l *limiters) allow(subject string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.getLocked(subject)
	if lim.AllowN(now, 1) {
		return true, 0
	}
	r := lim.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return false, wait
}

func (l *limiters) getLocked(subject string) *rate.Limiter {
	if el, ok := l.index[subject]; ok {
		l.order.MoveToFront(el)
		return el.Value.(*limiterEntry).limiter
	}
	if l.order.Len() >= l.capacity {
		oldest := l.order.Back()
		l.order.Remove(oldest)
		delete(l.index, oldest.Value.(*limiterEntry).subject)
	}
	e := &limiterEntry{subject: subject, limiter: rate.NewLimiter(l.rate, l.burst)}
	l.index[subject] = l.order.PushFront(e)
	return e.limiter
}

// len is the number of subjects held.
func (l *limiters) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}
