package v1alpha1

// ExpressionPolicy recommends the size a CEL expression computes from the signals fluxscale
// reads (Flux's queue and nodes, the current size and bounds, hints, the time, pod CPU use).
// The README's Expression section lists the variables.
//
// The API server cannot compile the formula (CEL rules in a CRD check the object, not CEL
// written by a user): the controller compiles it once per generation and reports one that
// does not compile in ScalingActive (reason InvalidPolicy, with the column); `fluxscale
// simulate` refuses it with the same message before replaying.
type ExpressionPolicy struct {
	// Formula is a CEL expression returning the size as an int, or as a double rounded up;
	// a negative size counts as 0 (the bounds then give minSize). Example:
	// "busy + pending + (hour >= 8 && hour < 18 && weekday >= 1 && weekday <= 5 ? 2 : 0)".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	Formula string `json:"formula"`
	// TimeZone is the IANA zone name (such as Europe/Paris) of the hour, minute and weekday
	// variables; empty means UTC. The variable now is a timestamp, zone-free.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	TimeZone string `json:"timeZone,omitempty"`
	// Description names the formula in status.recommendations and events instead of the
	// formula itself.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Description string `json:"description,omitempty"`
}
