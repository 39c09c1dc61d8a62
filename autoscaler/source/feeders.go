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
	// SnapshotSettle is how long the watch that follows a snapshot (SnapshotWatcher) must
	// have waited on its version before the snapshot stands for a read: long enough for the
	// request to reach the store and for the store to answer it had it changed (a round trip
	// inside a cluster is milliseconds; a loaded Go scheduler can add tens), short against the
	// seconds a reconcile waits in the queue when many policies change at once, which is
	// when a read saved matters.
	SnapshotSettle = time.Second
)

// Feeders run one long-poll goroutine per policy whose Source can Watch. Like an informer, a
// feeder only turns a state change into an event on the channel the controller watches: it
// never decides and never writes, so every decision stays in Reconcile. Reconcile starts and
// stops feeders as policies appear, change and disappear. Feeders is a manager Runnable:
// with leader election, feeders run only on the leader, like the controller.
//
// A watcher's states are kept for the reconcile they trigger (TakeDelivered), so that it need
// not read Flux again, when they are whole:
//   - reads made where Flux runs (StateCarrier: the Exec source's stream, whose program reads
//     Flux on its own handle and follows a burst with a newer line) are taken at once, since
//     a read through pods/exec is most of a step's latency;
//   - snapshots of a store kept apart from the watch (SnapshotWatcher: the agent's long-poll)
//     are taken only once the watch that followed one has waited SnapshotSettle on its
//     version without an answer. Until then the store may already hold a newer version the
//     watch has not brought back (a burst of submits), and deciding on the older one would
//     scale in two steps where a read scales once (reverted b1569d0); the reconcile reads.
//
// Other watchers' states (the Exec stream's trigger lines) are triggers only.
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
	delivered map[types.NamespacedName]delivery
	// following is, per policy whose watcher returns snapshots, the version its running
	// watch waits on and since when; absent while no watch waits (between calls, backing off).
	following map[types.NamespacedName]followed
}

// delivery is a state a feeder kept for the reconcile it triggered; snapshot says it must
// settle first (SnapshotSettle).
type delivery struct {
	GoodState
	snapshot bool
}

// followed is a watch waiting on a version since a time.
type followed struct {
	version uint64
	since   time.Time
}

// StateCarrier is a Watcher that may return whole states read where Flux runs.
// CarriesState reports whether it does (flux.JournalWatcher in JournalReadsProgram).
type StateCarrier interface {
	CarriesState() bool
}

// SnapshotWatcher is a Watcher whose states are whole snapshots of a store kept apart from
// the watch: what a read made at the same moment would return (the agent serves the same
// snapshot to a read and to a watch). WatchesSnapshots reports whether they are.
type SnapshotWatcher interface {
	WatchesSnapshots() bool
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
		delivered: map[types.NamespacedName]delivery{}, following: map[types.NamespacedName]followed{}}
}

// Deliver keeps a streamed state (g.At: when it arrived, g.Streamed set) for the policy's
// next reconcile, unless a newer one (by Version) is already waiting.
func (f *Feeders) Deliver(key types.NamespacedName, g GoodState) {
	f.deliver(key, delivery{GoodState: g})
}

func (f *Feeders) deliver(key types.NamespacedName, d delivery) {
	f.deliveredMu.Lock()
	defer f.deliveredMu.Unlock()
	if old, ok := f.delivered[key]; ok && old.State.Version > d.State.Version {
		return
	}
	f.delivered[key] = d
}

// TakeDelivered returns the state waiting for the policy's reconcile, if it stands for a
// read now: a snapshot only once the watch that followed it has waited SnapshotSettle on its
// version. The delivery is forgotten either way: the reconcile that could not use it reads,
// and a later change delivers again.
func (f *Feeders) TakeDelivered(key types.NamespacedName) (GoodState, bool) {
	f.deliveredMu.Lock()
	defer f.deliveredMu.Unlock()
	d, ok := f.delivered[key]
	delete(f.delivered, key)
	if !ok || !d.snapshot {
		return d.GoodState, ok
	}
	w, waiting := f.following[key]
	if !waiting || w.version != d.State.Version || f.clock.Since(w.since) < SnapshotSettle {
		return GoodState{}, false
	}
	return d.GoodState, true
}

// follow records that the policy's watch now waits on version (its start is kept while the
// version stays the same: an unchanged answer only confirms the snapshot); stopFollowing
// that none waits.
func (f *Feeders) follow(key types.NamespacedName, version uint64) {
	f.deliveredMu.Lock()
	defer f.deliveredMu.Unlock()
	if w, ok := f.following[key]; ok && w.version == version {
		return
	}
	f.following[key] = followed{version: version, since: f.clock.Now()}
}

func (f *Feeders) stopFollowing(key types.NamespacedName) {
	f.deliveredMu.Lock()
	defer f.deliveredMu.Unlock()
	delete(f.following, key)
}

// dropDelivered forgets what the policy's feeder delivered: its watcher is gone or replaced
// (another generation may read Flux another way).
func (f *Feeders) dropDelivered(key types.NamespacedName) {
	f.deliveredMu.Lock()
	defer f.deliveredMu.Unlock()
	delete(f.delivered, key)
	delete(f.following, key)
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
	sw, ok := w.(SnapshotWatcher)
	snapshots := !carries && ok && sw.WatchesSnapshots()
	if snapshots {
		defer f.stopFollowing(key)
	}
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
		if snapshots {
			f.follow(key, since)
		}
		st, err := w.Watch(wctx, since)
		bounded := wctx.Err() != nil
		cancel()
		if snapshots && ((err != nil && !bounded) || (err == nil && st.Version != since)) {
			f.stopFollowing(key) // no watch waits on since any more
		}
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
		if carries || snapshots {
			f.deliver(key, delivery{GoodState: GoodState{State: st, At: f.clock.Now(), Streamed: true}, snapshot: snapshots})
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
