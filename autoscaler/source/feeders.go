package source

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/flux"
)

// Bounds of one feeder's loop.
const (
	// watchBound is the longest one Watch call may wait; the simulated cluster has no bound
	// of its own, and a stuck connection must not hide changes for ever.
	watchBound = 5 * time.Minute
	// minWatchInterval paces a source that returns unchanged state at once, so a buggy
	// source cannot spin a core.
	minWatchInterval = 100 * time.Millisecond
	// unavailableRetry is how long a feeder waits after its source said it cannot stream
	// here at all (flux.ErrJournalUnavailable: not the instance owner, an old Flux): the
	// policy is read by polling meanwhile, and a retry only costs one exec.
	unavailableRetry = 10 * time.Minute
)

// Feeders run one long-poll goroutine per policy whose Source can Watch. Like an informer, a
// feeder only turns a state change into an event on the channel the controller watches: it
// never decides and never writes, so every decision stays in Reconcile. Reconcile starts and
// stops feeders as policies appear, change and disappear. Feeders is a manager Runnable:
// with leader election, feeders run only on the leader, like the controller.
//
// A watcher whose states are whole reads made where Flux runs (StateCarrier: the Exec
// source's stream, whose program reads Flux on its own handle) has its state kept for the
// reconcile it triggers (TakeDelivered), so that reconcile need not read Flux again through
// pods/exec. Other watchers' states are triggers only: the agent's, which can be one version
// behind a read made when the reconcile runs (reverted b1569d0), are read again.
type Feeders struct {
	clock    clock.Clock
	events   chan<- event.GenericEvent
	triggers *Triggers

	mu      sync.Mutex
	ctx     context.Context // nil until Start
	running map[types.NamespacedName]*feeder

	// deliveredMu guards delivered apart from mu, which Ensure holds while it waits for a
	// replaced feeder to end.
	deliveredMu sync.Mutex
	// delivered is, per policy, the newest streamed state no reconcile has taken yet.
	delivered map[types.NamespacedName]GoodState
}

// StateCarrier is a Watcher that may return whole states read where Flux runs.
// CarriesState reports whether it does (flux.JournalWatcher in JournalReadsProgram).
type StateCarrier interface {
	CarriesState() bool
}

type feeder struct {
	uid        types.UID
	generation int64
	watcher    flux.Watcher
	since      uint64
	cancel     context.CancelFunc // nil while waiting for Start
	done       chan struct{}
	health     WatchHealth // guarded by Feeders.mu
}

// NewFeeders returns Feeders that send events to events and mark each in triggers.
func NewFeeders(clk clock.Clock, events chan<- event.GenericEvent, triggers *Triggers) *Feeders {
	return &Feeders{clock: clk, events: events, triggers: triggers, running: map[types.NamespacedName]*feeder{},
		delivered: map[types.NamespacedName]GoodState{}}
}

// Deliver keeps a streamed state (g.At: when it arrived, g.Streamed set) for the policy's
// next reconcile, unless a newer one (by Version) is already waiting.
func (f *Feeders) Deliver(key types.NamespacedName, g GoodState) {
	f.deliveredMu.Lock()
	defer f.deliveredMu.Unlock()
	if d, ok := f.delivered[key]; ok && d.State.Version > g.State.Version {
		return
	}
	f.delivered[key] = g
}

// TakeDelivered returns and forgets the streamed state waiting for the policy's reconcile.
func (f *Feeders) TakeDelivered(key types.NamespacedName) (GoodState, bool) {
	f.deliveredMu.Lock()
	defer f.deliveredMu.Unlock()
	g, ok := f.delivered[key]
	delete(f.delivered, key)
	return g, ok
}

// dropDelivered forgets what the policy's feeder delivered: its watcher is gone or replaced
// (another generation may read Flux another way).
func (f *Feeders) dropDelivered(key types.NamespacedName) {
	f.deliveredMu.Lock()
	defer f.deliveredMu.Unlock()
	delete(f.delivered, key)
}

// Start runs the feeders registered so far and any later ones until ctx ends, then stops
// them all.
func (f *Feeders) Start(ctx context.Context) error {
	f.mu.Lock()
	f.ctx = ctx
	for key, fd := range f.running {
		f.launch(key, fd)
	}
	f.mu.Unlock()
	<-ctx.Done()
	f.mu.Lock()
	all := f.running
	f.running = map[types.NamespacedName]*feeder{}
	f.mu.Unlock()
	for _, fd := range all {
		fd.stop()
	}
	return nil
}

// Ensure runs a feeder for the policy's current Source, replacing one of an older
// generation. since is the state Version the caller last read, so the first change the
// feeder reports is one the caller has not seen.
func (f *Feeders) Ensure(key types.NamespacedName, uid types.UID, generation int64, w flux.Watcher, since uint64) {
	f.mu.Lock()
	old, replacing := f.running[key]
	if replacing && old.uid == uid && old.generation == generation {
		f.mu.Unlock()
		return
	}
	fd := &feeder{uid: uid, generation: generation, watcher: w, since: since, done: make(chan struct{})}
	f.running[key] = fd
	if !replacing {
		if f.ctx != nil {
			f.launch(key, fd)
		}
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	// The old feeder is waited for without f.mu: it takes f.mu to record its health, so
	// waiting under it could deadlock with a watch that returned as it was stopped. The new
	// one starts once the old one can deliver nothing more.
	old.stop()
	f.dropDelivered(key)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running[key] == fd && fd.cancel == nil && f.ctx != nil {
		f.launch(key, fd)
	}
}

// Stop ends the policy's feeder, if any, and waits for it.
func (f *Feeders) Stop(key types.NamespacedName) {
	f.mu.Lock()
	fd, ok := f.running[key]
	delete(f.running, key)
	f.mu.Unlock()
	if ok {
		fd.stop()
	}
	f.dropDelivered(key)
}

// launch starts fd's goroutine; f.mu is held.
func (f *Feeders) launch(key types.NamespacedName, fd *feeder) {
	ctx, cancel := context.WithCancel(f.ctx)
	fd.cancel = cancel
	go func() {
		defer close(fd.done)
		f.run(ctx, key, fd)
	}()
}

func (fd *feeder) stop() {
	if fd.cancel == nil {
		return // never launched
	}
	fd.cancel()
	<-fd.done
}

// run long-polls w until ctx ends, sending one event per state change and backing off
// exponentially while the source fails.
func (f *Feeders) run(ctx context.Context, key types.NamespacedName, fd *feeder) {
	w, since := fd.watcher, fd.since
	sc, ok := w.(StateCarrier)
	carries := ok && sc.CarriesState()
	logger := log.FromContext(ctx).WithValues("scalingPolicy", key)
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(500*time.Millisecond),
		backoff.WithMaxInterval(30*time.Second),
		backoff.WithMaxElapsedTime(0), // retry for as long as the policy exists
		backoff.WithClockProvider(f.clock),
	)
	for ctx.Err() == nil {
		started := f.clock.Now()
		wctx, cancel := context.WithTimeout(ctx, watchBound)
		st, err := w.Watch(wctx, since)
		bounded := wctx.Err() != nil
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && bounded:
			f.setHealth(fd, WatchFollowing, nil, time.Time{})
			continue // our own bound passed without a change
		case errors.Is(err, flux.ErrJournalUnavailable):
			logger.Info("Flux's journals cannot be followed here; the policy is read by polling", "reason", err.Error(), "retryIn", unavailableRetry.String())
			f.setHealth(fd, WatchUnavailable, err, f.clock.Now().Add(unavailableRetry))
			f.wait(ctx, unavailableRetry)
			continue
		case err != nil:
			logger.V(1).Info("Flux watch failed; backing off", "error", err.Error())
			d := b.NextBackOff()
			f.setHealth(fd, WatchBroken, err, f.clock.Now().Add(d))
			f.wait(ctx, d)
			continue
		}
		f.setHealth(fd, WatchFollowing, nil, time.Time{})
		b.Reset()
		if st.Version == since && since != 0 {
			if f.clock.Since(started) < minWatchInterval {
				f.wait(ctx, minWatchInterval)
			}
			continue
		}
		since = st.Version
		if carries {
			f.Deliver(key, GoodState{State: st, At: f.clock.Now(), Streamed: true})
		}
		f.triggers.Mark(key, controllermetrics.TriggerFluxState, f.clock.Now())
		obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		select {
		case f.events <- event.GenericEvent{Object: obj}:
		case <-ctx.Done():
			return
		}
	}
}

func (f *Feeders) wait(ctx context.Context, d time.Duration) { sleep(ctx, f.clock, d) }

// sleep waits d on the injected clock, or until ctx ends.
func sleep(ctx context.Context, clk clock.Clock, d time.Duration) {
	select {
	case <-clk.After(d):
	case <-ctx.Done():
	}
}
