package source

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/agent"
)

// agentSource builds the Agent source: reads and long-polls (so state changes reach the
// controller at once) from the agent's URL, drains with the token of
// flux.agent.tokenSecretRef. The token is read when the source is built and again whenever
// the agent refuses it, so a rotated Secret takes effect on the next drain.
func (k *KubeSources) agentSource(ctx context.Context, sp *v1alpha1.ScalingPolicy, src Source) (Source, error) {
	a := sp.Spec.Flux.Agent
	if a == nil || a.URL == "" {
		return Source{}, fmt.Errorf("flux.source Agent needs flux.agent.url, e.g. http://<name>-0.<service>.<namespace>.svc:%d", agent.DefaultPort)
	}
	token, err := k.agentToken(ctx, sp)
	if err != nil {
		return Source{}, err
	}
	policy := sp.DeepCopy() // the client outlives this reconcile's copy
	refresh := func(ctx context.Context) (string, error) { return k.agentToken(ctx, policy) }
	k.agentHTTPOnce.Do(func() { k.agentHTTP = agent.NewHTTPClient() })
	c, err := agent.NewClient(a.URL, agent.ClientOptions{HTTPClient: k.agentHTTP, Token: token, RefreshToken: refresh})
	if err != nil {
		return Source{}, fmt.Errorf("flux.agent.url: %w", err)
	}
	src.Flux, src.Watcher = c, c
	return src, nil
}

// agentToken reads the bearer token the agent wants for drains, from the Secret
// spec.flux.agent.tokenSecretRef names; empty when none is named (reads still work).
func (k *KubeSources) agentToken(ctx context.Context, sp *v1alpha1.ScalingPolicy) (string, error) {
	a := sp.Spec.Flux.Agent
	if a == nil || a.TokenSecretRef == nil {
		return "", nil
	}
	ref := a.TokenSecretRef
	key := ref.Key
	if key == "" {
		key = "token"
	}
	var secret corev1.Secret
	if err := k.Reader.Get(ctx, client.ObjectKey{Namespace: sp.Namespace, Name: ref.Name}, &secret); err != nil {
		return "", fmt.Errorf("reading the agent token from Secret %s/%s (flux.agent.tokenSecretRef): %w", sp.Namespace, ref.Name, err)
	}
	token, ok := secret.Data[key]
	if !ok || len(token) == 0 {
		return "", fmt.Errorf("Secret %s/%s has no key %q for the agent token: add it or fix flux.agent.tokenSecretRef.key",
			sp.Namespace, ref.Name, key)
	}
	return string(token), nil
}
