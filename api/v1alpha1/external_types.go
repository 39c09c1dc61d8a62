package v1alpha1

// ExternalPolicy recommends the size a KEDA external scaler gives: the sum over its metrics
// of ceil(value / target), as KEDA computes it, and minSize when IsActive is false. Any
// scaler written for KEDA's externalscaler.proto works unchanged.
//
// The scaler is read every pass with the policy's poll; a scaler that implements
// StreamIsActive also triggers a pass on each message. A scaler that fails, is slower than
// TimeoutSeconds or answers a value that is not a finite non-negative number gives no size
// (its signal is unhealthy, ScalingActive says ExternalScalerFailed) and nothing shrinks
// until it answers again.
type ExternalPolicy struct {
	// Address is the scaler's gRPC address, host:port (a Service: name.namespace.svc:9090).
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=261
	// +kubebuilder:validation:XValidation:rule="self.matches('^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\\\\[[0-9A-Fa-f:.]+\\\\]):[0-9]{1,5}$')",message="address must be host:port, e.g. my-scaler.my-namespace.svc:9090 (no scheme, no path)"
	Address string `json:"address"`
	// MetricName, when set, keeps only the scaler's metric of that name; empty uses every
	// metric GetMetricSpec returns.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	MetricName string `json:"metricName,omitempty"`
	// Metadata is sent as scalerMetadata, as a ScaledObject trigger's metadata is by KEDA.
	// +kubebuilder:validation:MaxProperties=64
	// +optional
	Metadata map[string]string `json:"metadata,omitempty"`
	// TimeoutSeconds bounds each call to the scaler.
	// +kubebuilder:default=2
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=60
	// +optional
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
	// TLS, when set, connects over TLS; unset connects in plain text.
	// +optional
	TLS *ExternalTLS `json:"tls,omitempty"`
}

// ExternalTLS names the Secret with the scaler's CA and, for mutual TLS, the client's
// certificate, under the keys cert-manager writes.
type ExternalTLS struct {
	// SecretName is a Secret in the policy's namespace with ca.crt (the CA that signed the
	// scaler's certificate) and, optionally, tls.crt and tls.key (the client certificate).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName"`
	// ServerName is the name checked in the scaler's certificate; empty means the address's
	// host.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServerName string `json:"serverName,omitempty"`
}
