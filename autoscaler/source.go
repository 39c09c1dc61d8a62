package autoscaler

import (
	"context"
	"io"
	"sync"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/podmetrics"
)

// Source is where one policy's signals come from.
type Source struct {
	// Flux reads Flux state and drains ranks; nil for flux.source None.
	Flux flux.Client
	// Watcher, when not nil, waits for Flux state to change (the agent's long-poll, the
	// simulated cluster); the controller turns each change into a reconcile.
	Watcher flux.Watcher
	// Pods reads the CPU use of the target's pods; nil when no policy uses it.
	Pods PodUsageReader
}

// PodUsageReader reads the resource use of pods (metrics/podmetrics.Reader).
type PodUsageReader interface {
	Read(ctx context.Context, namespace string, selector labels.Selector) (podmetrics.Usage, error)
}

// SourceFactory builds the Source of a policy whose target was just resolved. The controller
// keeps one Source per policy and spec generation, so NewSource runs once per spec change;
// tests inject a factory that serves a simulated Flux cluster per policy.
type SourceFactory interface {
	NewSource(ctx context.Context, sp *v1alpha1.ScalingPolicy, tgt *Target) (Source, error)
}

// sourceCache keeps each policy's Source for its spec generation. A Source whose Flux client
// is an io.Closer is closed when replaced or forgotten.
type sourceCache struct {
	factory SourceFactory
	mu      sync.Mutex
	entries map[types.NamespacedName]cachedSource
}

type cachedSource struct {
	uid        types.UID
	generation int64
	src        Source
}

func newSourceCache(f SourceFactory) *sourceCache {
	return &sourceCache{factory: f, entries: map[types.NamespacedName]cachedSource{}}
}

// get returns the policy's Source, building it when the policy is new, was recreated or its
// spec changed. A failed build is not cached: the next reconcile tries again.
func (c *sourceCache) get(ctx context.Context, sp *v1alpha1.ScalingPolicy, tgt *Target) (Source, error) {
	key := types.NamespacedName{Namespace: sp.Namespace, Name: sp.Name}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.uid == sp.UID && e.generation == sp.Generation {
		return e.src, nil
	}
	// Built outside the lock: a factory may do I/O (read a Secret). Reconciles of one key
	// never run concurrently, so no two builds race for the same policy.
	src, err := c.factory.NewSource(ctx, sp, tgt)
	if err != nil {
		return Source{}, err
	}
	c.mu.Lock()
	old, hadOld := c.entries[key]
	c.entries[key] = cachedSource{uid: sp.UID, generation: sp.Generation, src: src}
	c.mu.Unlock()
	if hadOld {
		closeSource(old.src)
	}
	return src, nil
}

// forget drops and closes the policy's Source.
func (c *sourceCache) forget(key types.NamespacedName) {
	c.mu.Lock()
	e, ok := c.entries[key]
	delete(c.entries, key)
	c.mu.Unlock()
	if ok {
		closeSource(e.src)
	}
}

func closeSource(s Source) {
	if cl, ok := s.Flux.(io.Closer); ok {
		_ = cl.Close() // nothing to do about a failed close of a client being dropped
	}
}
