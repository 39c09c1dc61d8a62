// Package controllermetrics holds the controller's Prometheus collectors: sizes, decisions,
// signal values, errors and conditions labelled by policy, and the reconcile duration and
// trigger-to-scale latency histograms, labelled by policy only when asked for (a histogram
// is ~19 series, so per-policy histograms are most of what 2,000 policies would cost).
package controllermetrics

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
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
	// perPolicyHistograms is Options.PerPolicyHistograms.
	perPolicyHistograms bool

	mu sync.Mutex
	// shown is each policy's condition series by type, so a changed condition deletes its
	// one old series instead of scanning every policy's.
	shown map[policyKey]map[string]prometheus.Labels
}

type policyKey struct{ namespace, policy string }

// Options configure NewWithOptions.
type Options struct {
	// PerPolicyHistograms labels reconcile_duration_seconds and trigger_to_scale_seconds
	// with namespace and policy (about 19 series each per policy and trigger). Off, they
	// are one histogram for all policies (trigger_to_scale_seconds by trigger), so the
	// series per policy stay around 20 whatever the policy count.
	PerPolicyHistograms bool
}

// New is NewWithOptions with the default Options: no per-policy histograms.
func New(reg prometheus.Registerer) (*Metrics, error) {
	return NewWithOptions(reg, Options{})
}

// NewWithOptions creates the collectors and registers them on reg (the controller passes
// controller-runtime's metrics.Registry). Registering twice on one registry fails, so call
// it once per registry.
func NewWithOptions(reg prometheus.Registerer, opts Options) (*Metrics, error) {
	policyLabels := []string{labelNamespace, labelPolicy}
	var histogramLabels []string
	if opts.PerPolicyHistograms {
		histogramLabels = policyLabels
	}
	m := &Metrics{perPolicyHistograms: opts.PerPolicyHistograms, shown: map[policyKey]map[string]prometheus.Labels{},
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
			Help:    "Time one ScalingPolicy reconcile took, signal reads included (per policy with --per-policy-histograms).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, histogramLabels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "trigger_to_scale_seconds",
			Help:    "Time from a triggering event (hint posted, Flux state change seen) to the new size written (per policy with --per-policy-histograms).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, append(slicesClone(histogramLabels), labelTrigger)),
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
	if !opts.PerPolicyHistograms {
		// Served from the start, so dashboards and the chart's checks find them before
		// the first scale.
		m.duration.WithLabelValues()
		for _, t := range []string{TriggerHint, TriggerFluxState, TriggerExternal} {
			m.latency.WithLabelValues(t)
		}
	}
	return m, nil
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// histogramLabels are the label values of a histogram observation for the policy.
func (m *Metrics) histogramLabels(namespace, policy string, more ...string) []string {
	if !m.perPolicyHistograms {
		return more
	}
	return append([]string{namespace, policy}, more...)
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
	m.duration.WithLabelValues(m.histogramLabels(namespace, policy)...).Observe(d.Seconds())
}

// TriggerToScale records the latency from a trigger of the given kind (one of the Trigger*
// constants) to the new size being written.
func (m *Metrics) TriggerToScale(namespace, policy, trigger string, d time.Duration) {
	m.latency.WithLabelValues(m.histogramLabels(namespace, policy, trigger)...).Observe(d.Seconds())
}

// Conditions records a policy's status conditions, one series per condition type: a type
// whose status or reason changed loses its old series, so alerts never see two at once.
func (m *Metrics) Conditions(namespace, policy string, conds []metav1.Condition) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := policyKey{namespace, policy}
	shown := m.shown[key]
	if shown == nil {
		shown = map[string]prometheus.Labels{}
		m.shown[key] = shown
	}
	for _, c := range conds {
		labels := prometheus.Labels{labelNamespace: namespace, labelPolicy: policy, labelType: c.Type,
			labelStatus: string(c.Status), labelReason: c.Reason}
		if old, ok := shown[c.Type]; ok {
			if old[labelStatus] == labels[labelStatus] && old[labelReason] == labels[labelReason] {
				continue
			}
			m.conditions.Delete(old)
		}
		m.conditions.With(labels).Set(1)
		shown[c.Type] = labels
	}
	// A condition the status no longer has (FluxWatch once no feeder runs) stops being shown.
	for typ, labels := range shown {
		if !slices.ContainsFunc(conds, func(c metav1.Condition) bool { return c.Type == typ }) {
			m.conditions.Delete(labels)
			delete(shown, typ)
		}
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
	if m.perPolicyHistograms {
		m.duration.DeletePartialMatch(match)
		m.latency.DeletePartialMatch(match)
	}
	m.conditions.DeletePartialMatch(match)
	m.mu.Lock()
	delete(m.shown, policyKey{namespace, policy})
	m.mu.Unlock()
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
	// TriggerExternal is a push from an External policy's scaler (StreamIsActive).
	TriggerExternal = "external"
)
