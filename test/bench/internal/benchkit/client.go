package benchkit

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// APICounter counts the requests a client sends to the API server, split into reads and
// writes, and the time its client-side rate limiter made them wait (client-go throttling).
type APICounter struct {
	requests     atomic.Int64
	writes       atomic.Int64 // any method but GET, HEAD and OPTIONS
	statusWrites atomic.Int64 // writes to a ScalingPolicy's status subresource
	waits        atomic.Int64 // Wait calls that found no token
	waitNanos    atomic.Int64
}

// Snapshot is a point-in-time copy of an APICounter.
type Snapshot struct {
	// Requests are all requests; Writes those that change something (Requests - Writes
	// are reads: GET, LIST, WATCH); StatusWrites the writes of ScalingPolicy status.
	Requests, Writes, StatusWrites int64
	// Throttled waits for the client-side limiter took WaitTotal in all.
	Throttled int64
	WaitTotal time.Duration
}

// Reads are the requests that changed nothing.
func (s Snapshot) Reads() int64 { return s.Requests - s.Writes }

// Snapshot reads the counters.
func (c *APICounter) Snapshot() Snapshot {
	return Snapshot{Requests: c.requests.Load(), Writes: c.writes.Load(), StatusWrites: c.statusWrites.Load(),
		Throttled: c.waits.Load(), WaitTotal: time.Duration(c.waitNanos.Load())}
}

// Sub returns s minus an earlier snapshot.
func (s Snapshot) Sub(earlier Snapshot) Snapshot {
	return Snapshot{Requests: s.Requests - earlier.Requests, Writes: s.Writes - earlier.Writes,
		StatusWrites: s.StatusWrites - earlier.StatusWrites,
		Throttled:    s.Throttled - earlier.Throttled, WaitTotal: s.WaitTotal - earlier.WaitTotal}
}

// Instrument returns a copy of cfg with the given QPS and Burst, whose requests and
// rate-limiter waits c counts. Every client built from the copy shares one limiter, as
// clients built from one rest.Config by controller-runtime do.
func (c *APICounter) Instrument(cfg *rest.Config, qps float32, burst int) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.QPS, out.Burst = qps, burst
	out.RateLimiter = &timedLimiter{inner: flowcontrol.NewTokenBucketRateLimiter(qps, burst), counter: c}
	out.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &countingTransport{next: rt, counter: c} })
	return out
}

type countingTransport struct {
	next    http.RoundTripper
	counter *APICounter
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.counter.requests.Add(1)
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		t.counter.writes.Add(1)
		if strings.Contains(r.URL.Path, "/scalingpolicies/") && strings.HasSuffix(r.URL.Path, "/status") {
			t.counter.statusWrites.Add(1)
		}
	}
	return t.next.RoundTrip(r)
}

// timedLimiter measures how long callers wait for a token.
type timedLimiter struct {
	inner   flowcontrol.RateLimiter
	counter *APICounter
}

func (l *timedLimiter) TryAccept() bool { return l.inner.TryAccept() }
func (l *timedLimiter) Accept()         { _ = l.Wait(context.Background()) }
func (l *timedLimiter) Stop()           { l.inner.Stop() }
func (l *timedLimiter) QPS() float32    { return l.inner.QPS() }

// Wait takes a token at once when the bucket has one: that request was not throttled, however
// long the goroutine then waits for a core. Only a request that finds the bucket empty waits
// for the limiter, and counts (with its wait) as throttled.
func (l *timedLimiter) Wait(ctx context.Context) error {
	if l.inner.TryAccept() {
		return nil
	}
	start := time.Now()
	err := l.inner.Wait(ctx)
	l.counter.waits.Add(1)
	l.counter.waitNanos.Add(int64(time.Since(start)))
	return err
}
