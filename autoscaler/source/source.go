// Package source chooses where each ScalingPolicy's signals come from (Exec, Agent,
// CustomMetrics, None), keeps each policy's source and last good Flux state across
// reconciles, and runs the watchers that turn changes (a Flux state change, a target's Job or
// MiniCluster changing) into reconcile events. Like informers, nothing here decides or
// writes: every decision stays in the reconciler.
package source

import (
	"context"
	"io"
	"sync"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/target"
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

// Factory builds the Source of a policy whose target was just resolved. The controller
// keeps one Source per policy and spec generation, so NewSource runs once per spec change;
// tests inject a factory that serves a simulated Flux cluster per policy.
type Factory interface {
	NewSource(ctx context.Context, sp *v1alpha1.ScalingPolicy, tgt *target.Info) (Source, error)
}

// WantsPodMetrics reports whether a policy of spec uses the pods' CPU use.
func WantsPodMetrics(spec *v1alpha1.ScalingPolicySpec) bool {
	for _, p := range spec.Policies {
		if p.Type == v1alpha1.PolicyUtilization && p.Utilization != nil && p.Utilization.TargetCPUPercent != nil {
			return true
		}
	}
	return false
}

// Cache keeps each policy's Source for its spec generation. A Source whose Flux client is an
// io.Closer is closed when replaced or forgotten.
type Cache struct {
	factory Factory
	mu      sync.Mutex
	entries map[types.NamespacedName]cachedSource
}

type cachedSource struct {
	uid        types.UID
	generation int64
	src        Source
	// previous is the Flux client of an earlier generation, kept while the current Source
	// has none (flux.source None): the ranks drained through it must still be given back.
	previous flux.Client
}

// NewCache returns an empty Cache that builds Sources with f.
func NewCache(f Factory) *Cache {
	return &Cache{factory: f, entries: map[types.NamespacedName]cachedSource{}}
}

// Get returns the policy's Source, building it when the policy is new, was recreated or its
// spec changed. A failed build is not cached: the next reconcile tries again.
func (c *Cache) Get(ctx context.Context, sp *v1alpha1.ScalingPolicy, tgt *target.Info) (Source, error) {
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
	e = cachedSource{uid: sp.UID, generation: sp.Generation, src: src}
	if hadOld && old.uid == sp.UID && src.Flux == nil {
		e.previous = old.src.Flux
		if e.previous == nil {
			e.previous = old.previous
		}
		old.src.Flux, old.previous = nil, nil // kept, not closed
	}
	c.entries[key] = e
	c.mu.Unlock()
	if hadOld {
		closeSource(old.src)
		closeClient(old.previous)
	}
	return src, nil
}

// Previous is the Flux client of the policy's last Source that had one, when its current
// Source has none (flux.source None); nil otherwise, and after a restart.
func (c *Cache) Previous(key types.NamespacedName) flux.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[key].previous
}

// Forget drops and closes the policy's Source.
func (c *Cache) Forget(key types.NamespacedName) {
	c.mu.Lock()
	e, ok := c.entries[key]
	delete(c.entries, key)
	c.mu.Unlock()
	if ok {
		closeSource(e.src)
		closeClient(e.previous)
	}
}

func closeSource(s Source) {
	closeClient(s.Flux)
	// A journal stream (the Exec source's) runs until closed: its exec must not outlive
	// the policy or its spec generation.
	if w, ok := s.Watcher.(interface{ Close() }); ok {
		w.Close()
	}
}

func closeClient(c flux.Client) {
	if cl, ok := c.(io.Closer); ok {
		_ = cl.Close() // nothing to do about a failed close of a client being dropped
	}
}
