package harness

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/metrics/agent"
)

// agentWait is how long the controller's agent client asks the agent to hold a long-poll.
const agentWait = 30 * time.Second

// agentSources is the harness's SourceFactory: it serves flux.source Agent the way the
// production KubeSources is meant to (the real agent client reading spec.flux.agent.url, its
// bearer token read from the Secret spec.flux.agent.tokenSecretRef names), because
// KubeSources' Agent source is not built yet (autoscaler/source_agent.go). Other sources are
// refused: the harness has only simulated Flux clusters behind agents.
type agentSources struct {
	reader client.Reader
}

var _ source.Factory = agentSources{}

// NewSource returns the agent client of the policy as its Flux client and watcher.
func (a agentSources) NewSource(ctx context.Context, sp *v1alpha1.ScalingPolicy, _ *target.Info) (source.Source, error) {
	fs := sp.Spec.Flux
	if fs.Source != v1alpha1.SourceAgent || fs.Agent == nil {
		return source.Source{}, fmt.Errorf("the test harness serves only flux.source Agent (policy %s/%s has %q): use Flux.Source()",
			sp.Namespace, sp.Name, fs.Source)
	}
	token := ""
	if ref := fs.Agent.TokenSecretRef; ref != nil {
		var secret corev1.Secret
		if err := a.reader.Get(ctx, client.ObjectKey{Namespace: sp.Namespace, Name: ref.Name}, &secret); err != nil {
			return source.Source{}, fmt.Errorf("reading the agent token Secret %s/%s: %w", sp.Namespace, ref.Name, err)
		}
		key := ref.Key
		if key == "" {
			key = "token"
		}
		token = string(secret.Data[key])
	}
	c, err := agent.NewClient(fs.Agent.URL, agent.ClientOptions{Token: token, Wait: agentWait})
	if err != nil {
		return source.Source{}, err
	}
	return source.Source{Flux: c, Watcher: c}, nil
}
