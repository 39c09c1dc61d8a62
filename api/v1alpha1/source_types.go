package v1alpha1

// FluxSourceType names where Flux state comes from.
// +kubebuilder:validation:Enum=Exec;Agent;CustomMetrics;None
type FluxSourceType string

// Flux sources.
const (
	// SourceExec runs the flux CLI in the rank-0 pod through pods/exec: nothing to install.
	SourceExec FluxSourceType = "Exec"
	// SourceAgent reads the fluxscale agent running beside the lead broker (long-poll: fastest).
	SourceAgent FluxSourceType = "Agent"
	// SourceCustomMetrics reads flux-metrics-api: counts only, no per-rank state, so no drain.
	SourceCustomMetrics FluxSourceType = "CustomMetrics"
	// SourceNone reads no Flux state: only hints, schedules and pod metrics drive the size.
	SourceNone FluxSourceType = "None"
)

// FluxSource says where and how Flux queue and resource state is read.
//
// +kubebuilder:validation:XValidation:rule="self.source != 'Agent' || has(self.agent)",message="flux.agent is required when flux.source is Agent: set flux.agent.url"
// +kubebuilder:validation:XValidation:rule="!has(self.agent) || self.source == 'Agent'",message="flux.agent may be set only when flux.source is Agent"
// +kubebuilder:validation:XValidation:rule="!has(self.exec) || self.source == 'Exec'",message="flux.exec may be set only when flux.source is Exec"
// +kubebuilder:validation:XValidation:rule="!has(self.customMetrics) || self.source == 'CustomMetrics'",message="flux.customMetrics may be set only when flux.source is CustomMetrics"
type FluxSource struct {
	// Source is Exec (the default), Agent, CustomMetrics or None.
	// +kubebuilder:default=Exec
	// +optional
	Source FluxSourceType `json:"source,omitempty"`
	// Exec configures the Exec source.
	// +optional
	Exec *ExecSource `json:"exec,omitempty"`
	// Agent configures the Agent source.
	// +optional
	Agent *AgentSource `json:"agent,omitempty"`
	// CustomMetrics configures the CustomMetrics source.
	// +optional
	CustomMetrics *CustomMetricsSource `json:"customMetrics,omitempty"`
	// TimeoutSeconds bounds one read of Flux state.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=300
	// +optional
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
}

// ExecSource runs flux commands in the rank-0 pod.
type ExecSource struct {
	// Container is the container that has the flux CLI; empty means the pod's first container.
	// +optional
	Container string `json:"container,omitempty"`
}

// AgentSource reads the fluxscale agent's HTTP API.
type AgentSource struct {
	// URL of the agent, e.g. http://flux-sample-0.flux-service.ns.svc:8181.
	// +kubebuilder:validation:Pattern=`^https?://`
	URL string `json:"url"`
	// TokenSecretRef names a Secret in the policy's namespace whose key holds the bearer token
	// the agent requires for drain and undrain. Without it, the controller cannot drain.
	// +optional
	TokenSecretRef *SecretKeyRef `json:"tokenSecretRef,omitempty"`
}

// SecretKeyRef selects one key of a Secret in the policy's namespace.
type SecretKeyRef struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Key in the Secret.
	// +kubebuilder:default=token
	// +optional
	Key string `json:"key,omitempty"`
}

// CustomMetricsSource reads flux-metrics-api through custom.metrics.k8s.io.
type CustomMetricsSource struct {
	// Resource and Name of the object the metrics are attached to; by default the
	// MiniCluster's rank-0 pod ("pods", "<name>-0").
	// +optional
	Resource string `json:"resource,omitempty"`
	// Name of that object; default "<MiniCluster name>-0".
	// +optional
	Name string `json:"name,omitempty"`
}
