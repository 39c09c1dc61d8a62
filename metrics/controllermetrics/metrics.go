// Package controllermetrics holds the controller's Prometheus collectors: sizes, decisions,
// signal values, errors, reconcile duration and trigger-to-scale latency, labelled by policy.
package controllermetrics

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Namespace prefixes every metric name.
const Namespace = "fluxscale"

// Label names.
const (
	labelNamespace = "namespace"
	labelPolicy    = "policy"
	labelReason    = "reason"
	labelSignal    = "signal"
	labelSource    = "source"
	labelTrigger   = "trigger"
	labelType      = "type"
	labelStatus    = "status"
)

// Metrics are the controller's collectors. Create one per registry with New; its methods are
// safe for concurrent use.
type Metrics struct {
	desired   *prometheus.GaugeVec
	current   *prometheus.GaugeVec
	decisions *prometheus.CounterVec
	signals   *prometheus.GaugeVec
	errors    *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	latency   *prometheus.HistogramVec
	// conditions and hintRequests are what the alerts in the Helm chart's monitoring kit
	// read: a condition held for minutes, and hint API answers by status code.
	conditions   *prometheus.GaugeVec
	hintRequests *prometheus.CounterVec
}

// New creates the collectors and registers them on reg (the controller passes
// controller-runtime's metrics.Registry). Registering twice on one registry fails, so call it
// once per registry.
func New(reg prometheus.Registerer) (*Metrics, error) {
	policyLabels := []string{labelNamespace, labelPolicy}
	m := &Metrics{
		desired: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "desired_size",
			Help: "Size the controller last decided on, per ScalingPolicy.",
		}, policyLabels),
		current: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "current_size",
			Help: "Target size as last read (MiniCluster spec.size or Job parallelism), per ScalingPolicy.",
		}, policyLabels),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "decisions_total",
			Help: "Decisions made, by the ScalingLimited reason of the step that decided.",
		}, append(policyLabels, labelReason)),
		signals: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "signal_value",
			Help: "Latest value of each input signal (queue counts, node counts, CPU percent).",
		}, append(policyLabels, labelSignal)),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "errors_total",
			Help: "Errors by where they came from (flux, target, drain, status, pods, hints).",
		}, append(policyLabels, labelSource)),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "reconcile_duration_seconds",
			Help:    "Time one ScalingPolicy reconcile took, signal reads included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, policyLabels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "trigger_to_scale_seconds",
			Help:    "Time from a triggering event (hint posted, Flux state change seen) to the new size written.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, append(policyLabels, labelTrigger)),
		conditions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "condition",
			Help: "1 for each status condition of a ScalingPolicy, labelled with its type, status and reason.",
		}, append(policyLabels, labelType, labelStatus, labelReason)),
		hintRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "hint_requests_total",
			Help: "Requests the hint API answered, by HTTP method and status code.",
		}, []string{"method", "code"}),
	}
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering controller metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.desired, m.current, m.decisions, m.signals, m.errors, m.duration, m.latency,
		m.conditions, m.hintRequests}
}

// Sizes records the current and desired size of a policy's target.
func (m *Metrics) Sizes(namespace, policy string, current, desired int32) {
	m.current.WithLabelValues(namespace, policy).Set(float64(current))
	m.desired.WithLabelValues(namespace, policy).Set(float64(desired))
}

// Decision counts one decision by its limiting reason.
func (m *Metrics) Decision(namespace, policy, reason string) {
	m.decisions.WithLabelValues(namespace, policy, reason).Inc()
}

// Signal records a signal's latest value.
func (m *Metrics) Signal(namespace, policy, signal string, value float64) {
	m.signals.WithLabelValues(namespace, policy, signal).Set(value)
}

// Error counts one error from source (one of the Source* constants).
func (m *Metrics) Error(namespace, policy, source string) {
	m.errors.WithLabelValues(namespace, policy, source).Inc()
}

// ReconcileDuration records how long one reconcile took.
func (m *Metrics) ReconcileDuration(namespace, policy string, d time.Duration) {
	m.duration.WithLabelValues(namespace, policy).Observe(d.Seconds())
}

// TriggerToScale records the latency from a trigger of the given kind (one of the Trigger*
// constants) to the new size being written.
func (m *Metrics) TriggerToScale(namespace, policy, trigger string, d time.Duration) {
	m.latency.WithLabelValues(namespace, policy, trigger).Observe(d.Seconds())
}

// Conditions records a policy's status conditions, one series per condition type: a type
// whose status or reason changed loses its old series, so alerts never see two at once.
func (m *Metrics) Conditions(namespace, policy string, conds []metav1.Condition) {
	for _, c := range conds {
		m.conditions.DeletePartialMatch(prometheus.Labels{labelNamespace: namespace, labelPolicy: policy, labelType: c.Type})
		m.conditions.WithLabelValues(namespace, policy, c.Type, string(c.Status), c.Reason).Set(1)
	}
}

// InstrumentHints wraps the hint API's handler so every answer is counted by method and code.
func (m *Metrics) InstrumentHints(next http.Handler) http.Handler {
	return promhttp.InstrumentHandlerCounter(m.hintRequests, next)
}

// DeletePolicy removes every series of a policy, so a deleted policy stops being reported.
func (m *Metrics) DeletePolicy(namespace, policy string) {
	match := prometheus.Labels{labelNamespace: namespace, labelPolicy: policy}
	m.desired.DeletePartialMatch(match)
	m.current.DeletePartialMatch(match)
	m.decisions.DeletePartialMatch(match)
	m.signals.DeletePartialMatch(match)
	m.errors.DeletePartialMatch(match)
	m.duration.DeletePartialMatch(match)
	m.latency.DeletePartialMatch(match)
	m.conditions.DeletePartialMatch(match)
}

// Error sources, the values of the source label of errors_total.
const (
	SourceFlux   = "flux"
	SourceTarget = "target"
	SourceDrain  = "drain"
	SourceStatus = "status"
	SourcePods   = "pods"
	SourceHints  = "hints"
)

// Trigger kinds, the values of the trigger label of trigger_to_scale_seconds.
const (
	TriggerHint      = "hint"
	TriggerFluxState = "flux-state"
)
