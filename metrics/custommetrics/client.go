// Package custommetrics reads Flux state from flux-metrics-api through the custom metrics API
// (custom.metrics.k8s.io/v1beta2), with the k8s.io/metrics client.
//
// It is a degraded source: flux-metrics-api exports counts only (no per-rank state, no job
// sizes), so the State it returns can never justify a drain or a shrink (PerRank is false),
// and it cannot drain. Its queue counts also have a known bug: the server counts lowercase
// state names while current Flux reports uppercase ones, so every queue count can read 0.
// State reports that case as an error when nodes are visibly busy (see checkQueueCounts).
package custommetrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	cmclient "k8s.io/metrics/pkg/client/custom_metrics"
	"k8s.io/utils/clock"

	"k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// DefaultRequestTimeout bounds one metric request when the rest.Config sets no Timeout. The
// k8s.io/metrics client takes no context, so this is what ends a request whose caller gave up.
const DefaultRequestTimeout = 10 * time.Second

// ErrCannotDrain is returned by Drain and Undrain: flux-metrics-api has no way to drain.
var ErrCannotDrain = errors.New("the CustomMetrics Flux source (flux-metrics-api) cannot drain or undrain ranks: " +
	"use flux.source Exec or Agent, or scaleDown.mode Immediate or Never")

// Object names the Kubernetes object flux-metrics-api's metrics are asked for. The server
// ignores it (it answers for its own Flux instance whatever the object), but the aggregated
// API path needs one, and the API server checks the caller may get it.
type Object struct {
	// Namespace of the object (and of the metrics request).
	Namespace string
	// Resource is the plural resource, group-qualified outside the core group:
	// "pods", "services", "miniclusters.flux-framework.org".
	Resource string
	// Name of the object, e.g. the MiniCluster's rank-0 pod "flux-sample-0".
	Name string
}

// Client implements flux.Client over flux-metrics-api. It is safe for concurrent use.
type Client struct {
	metrics cmclient.CustomMetricsClient
	mapper  meta.RESTMapper
	object  Object
	clock   clock.PassiveClock
}

var _ flux.Client = (*Client)(nil)

// New returns a Client that reads obj's metrics through the API server cfg points at. The
// version is fixed to v1beta2, the only one flux-metrics-api serves, so no discovery call is
// needed; mapper turns obj.Resource into the kind the client wants (a manager's RESTMapper).
// A cfg without Timeout gets DefaultRequestTimeout.
func New(cfg *rest.Config, mapper meta.RESTMapper, obj Object, clk clock.PassiveClock) (*Client, error) {
	if obj.Namespace == "" || obj.Resource == "" || obj.Name == "" {
		return nil, fmt.Errorf("custom metrics object %+v: namespace, resource and name are all required", obj)
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultRequestTimeout
	}
	c, err := cmclient.NewForVersionForConfig(cfg, mapper, v1beta2.SchemeGroupVersion)
	if err != nil {
		return nil, fmt.Errorf("creating custom metrics client: %w", err)
	}
	return &Client{metrics: c, mapper: mapper, object: obj, clock: clk}, nil
}

// State reads the node and queue counts. Every metric must be present: a missing metric is
// an error naming it, never a zero. The State has PerRank false, no Ranks, no Jobs and Size
// 0 (flux-metrics-api does not say how many ranks Flux knows).
func (c *Client) State(ctx context.Context) (flux.State, error) {
	gk, err := c.groupKind()
	if err != nil {
		return flux.State{}, err
	}
	values := make(map[string]int64, len(stateMetrics))
	for _, name := range stateMetrics {
		v, err := c.read(ctx, gk, name)
		if err != nil {
			return flux.State{}, err
		}
		values[name] = v
	}
	st, err := stateFrom(values)
	if err != nil {
		return flux.State{}, err
	}
	st.ObservedAt = c.clock.Now()
	return st, nil
}

// Drain always fails with ErrCannotDrain.
func (c *Client) Drain(context.Context, flux.RankSet, string) error { return ErrCannotDrain }

// Undrain always fails with ErrCannotDrain.
func (c *Client) Undrain(context.Context, flux.RankSet) error { return ErrCannotDrain }

func (c *Client) groupKind() (schema.GroupKind, error) {
	gr := schema.ParseGroupResource(c.object.Resource)
	gvk, err := c.mapper.KindFor(gr.WithVersion(""))
	if err != nil {
		return schema.GroupKind{}, fmt.Errorf("custom metrics object resource %q: %w", c.object.Resource, err)
	}
	return gvk.GroupKind(), nil
}
