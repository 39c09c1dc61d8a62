package source

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/external"
)

// noStreamRetry is how long a stream waits after its scaler said it has no StreamIsActive:
// the policy's poll reads the scaler meanwhile, and a retry costs one call.
const noStreamRetry = 10 * time.Minute

// StreamFunc follows one scaler's StreamIsActive (external.Pool.Stream).
type StreamFunc func(ctx context.Context, s external.Scaler, onActive func()) error

// ExternalStreams keep one StreamIsActive open per External policy of each ScalingPolicy.
// Like Feeders, a stream only turns a push into an event on the controller's channel and a
// mark in Triggers: Reconcile then reads the scaler and decides. Reconcile starts streams
// (Ensure), drops those its spec no longer has (Retain) and all of a deleted policy's
// (Stop). A manager Runnable: streams run only on the leader.
type ExternalStreams struct {
	clock    clock.Clock
	events   chan<- event.GenericEvent
	triggers *Triggers
	stream   StreamFunc

	mu      sync.Mutex
	ctx     context.Context // nil until Start
	running map[streamKey]*externalStream
}

// streamKey is one External policy (its index in spec.policies) of one ScalingPolicy.
type streamKey struct {
	policy types.NamespacedName
	index  int
}

type externalStream struct {
	scaler external.Scaler
	cancel context.CancelFunc // nil while waiting for Start
	done   chan struct{}
}

// NewExternalStreams returns streams that follow scalers with stream, sending events to
// events and marking each push in triggers.
func NewExternalStreams(clk clock.Clock, events chan<- event.GenericEvent, triggers *Triggers, stream StreamFunc) *ExternalStreams {
	return &ExternalStreams{clock: clk, events: events, triggers: triggers, stream: stream, running: map[streamKey]*externalStream{}}
}

// Start runs the streams registered so far and any later ones until ctx ends, then stops
// them all.
func (x *ExternalStreams) Start(ctx context.Context) error {
	x.mu.Lock()
	x.ctx = ctx
	for key, s := range x.running {
		x.launch(key, s)
	}
	x.mu.Unlock()
	<-ctx.Done()
	x.mu.Lock()
	all := x.running
	x.running = map[streamKey]*externalStream{}
	x.mu.Unlock()
	for _, s := range all {
		s.stop()
	}
	return nil
}

// Ensure follows scaler for policy index of key, replacing a stream to another scaler (or
// with other TLS material or metadata).
func (x *ExternalStreams) Ensure(key types.NamespacedName, index int, scaler external.Scaler) {
	k := streamKey{key, index}
	x.mu.Lock()
	defer x.mu.Unlock()
	if s, ok := x.running[k]; ok {
		if reflect.DeepEqual(s.scaler, scaler) {
			return
		}
		s.stop()
	}
	s := &externalStream{scaler: scaler, done: make(chan struct{})}
	x.running[k] = s
	if x.ctx != nil {
		x.launch(k, s)
	}
}

// Retain stops key's streams whose index is not in keep (the spec no longer has that
// External policy there).
func (x *ExternalStreams) Retain(key types.NamespacedName, keep map[int]bool) {
	var stopped []*externalStream
	x.mu.Lock()
	for k, s := range x.running {
		if k.policy == key && !keep[k.index] {
			stopped = append(stopped, s)
			delete(x.running, k)
		}
	}
	x.mu.Unlock()
	for _, s := range stopped {
		s.stop()
	}
}

// Stop ends every stream of key and waits for them.
func (x *ExternalStreams) Stop(key types.NamespacedName) { x.Retain(key, nil) }

// Running is how many streams are registered, for tests and metrics.
func (x *ExternalStreams) Running() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.running)
}

// launch starts s's goroutine; x.mu is held.
func (x *ExternalStreams) launch(k streamKey, s *externalStream) {
	ctx, cancel := context.WithCancel(x.ctx)
	s.cancel = cancel
	go func() {
		defer close(s.done)
		x.run(ctx, k, s.scaler)
	}()
}

func (s *externalStream) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
}

// run follows the scaler until ctx ends, reconnecting with backoff (1 s to 30 s) after a
// broken stream and waiting noStreamRetry when the scaler has no StreamIsActive.
func (x *ExternalStreams) run(ctx context.Context, k streamKey, scaler external.Scaler) {
	logger := log.FromContext(ctx).WithValues("scalingPolicy", k.policy, "policy", k.index, "scaler", scaler.Address)
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(time.Second),
		backoff.WithMaxInterval(30*time.Second),
		backoff.WithMaxElapsedTime(0), // for as long as the policy has this External policy
		backoff.WithClockProvider(x.clock),
	)
	obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: k.policy.Namespace, Name: k.policy.Name}}
	push := func() {
		b.Reset()
		x.triggers.Mark(k.policy, controllermetrics.TriggerExternal, x.clock.Now())
		select {
		case x.events <- event.GenericEvent{Object: obj}:
		case <-ctx.Done():
		}
	}
	for ctx.Err() == nil {
		err := x.stream(ctx, scaler, push)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, external.ErrNoStream):
			logger.V(1).Info("the scaler has no StreamIsActive; it is read at the policy's poll", "retryIn", noStreamRetry.String())
			x.wait(ctx, noStreamRetry)
		default:
			d := b.NextBackOff()
			logger.V(1).Info("StreamIsActive ended; reconnecting", "error", errString(err), "in", d.String())
			x.wait(ctx, d)
		}
	}
}

func (x *ExternalStreams) wait(ctx context.Context, d time.Duration) { sleep(ctx, x.clock, d) }

func errString(err error) string {
	if err == nil {
		return "closed by the scaler"
	}
	return err.Error()
}
