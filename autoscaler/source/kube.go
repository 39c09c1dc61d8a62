package source

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/custommetrics"
)

// KubeSources is the production Factory: it reads Flux from the rank-0 pod (Exec), the
// fluxscale agent (Agent) or flux-metrics-api (CustomMetrics), and pod CPU use from
// metrics.k8s.io.
type KubeSources struct {
	// Config is the controller's API server config (pods/exec, custom metrics).
	Config *rest.Config
	// Reader reads pods and Secrets uncached (the manager's API reader), so the controller
	// needs no cluster-wide pod or Secret cache.
	Reader client.Reader
	// Mapper maps custom metrics objects to kinds.
	Mapper meta.RESTMapper
	// Pods reads the pods' CPU use; nil leaves Utilization's CPU target without data.
	Pods PodUsageReader
	// Clock stamps Flux state; default the real clock.
	Clock clock.PassiveClock
	// FluxReader is how the Exec source reads state: flux.ReaderPython (the default, "") or
	// flux.ReaderCLI.
	FluxReader string
	// FluxWatch is how the Exec source learns of changes: WatchPoll (the default, "") or
	// WatchStream (follow Flux's journals through one long-lived pods/exec per policy).
	FluxWatch string

	// agentHTTP is shared by every Agent source's client (agent.NewHTTPClient: one kept
	// connection per agent, however many policies).
	agentHTTPOnce sync.Once
	agentHTTP     *http.Client
}

var _ Factory = (*KubeSources)(nil)

// NewSource builds the Source spec.flux asks for.
func (k *KubeSources) NewSource(ctx context.Context, sp *v1alpha1.ScalingPolicy, tgt *target.Info) (Source, error) {
	clk := k.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	src := Source{}
	if WantsPodMetrics(&sp.Spec) {
		src.Pods = k.Pods
	}
	fs := sp.Spec.Flux
	switch fs.Source {
	case v1alpha1.SourceNone:
		return src, nil
	case v1alpha1.SourceCustomMetrics:
		obj := custommetrics.Object{Namespace: sp.Namespace, Resource: "pods", Name: tgt.Name + "-0"}
		if cm := fs.CustomMetrics; cm != nil && cm.Resource != "" && cm.Name != "" {
			obj.Resource, obj.Name = cm.Resource, cm.Name
		}
		c, err := custommetrics.New(k.Config, k.Mapper, obj, clk)
		if err != nil {
			return Source{}, fmt.Errorf("building the CustomMetrics source: %w", err)
		}
		src.Flux = c
		return src, nil
	case v1alpha1.SourceAgent:
		return k.agentSource(ctx, sp, src)
	}
	return k.execSource(sp, tgt, src, clk) // Exec, the default
}
