package controllermetrics

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// series lists every gathered series as "name{label=value,...}", sorted, leaving out
// histograms never observed (New serves the shared ones from the start).
func series(t *testing.T, reg *prometheus.Registry) []string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil && h.GetSampleCount() == 0 {
				continue
			}
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			out = append(out, f.GetName()+"{"+strings.Join(labels, ",")+"}")
		}
	}
	sort.Strings(out)
	return out
}

func TestDeletePolicyRemovesOnlyThatPolicy(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewWithOptions(reg, Options{PerPolicyHistograms: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "b"} {
		m.Sizes("ns", p, 2, 6)
		m.Decision("ns", p, "DesiredWithinRange")
		m.Signal("ns", p, "flux.pending", 3)
		m.Error("ns", p, SourceFlux)
		m.ReconcileDuration("ns", p, time.Millisecond)
		m.TriggerToScale("ns", p, TriggerHint, time.Second)
		m.Conditions("ns", p, []metav1.Condition{{Type: "AbleToScale", Status: metav1.ConditionTrue, Reason: "ReadyForNewScale"}})
	}
	m.DeletePolicy("ns", "a")

	want := []string{
		"fluxscale_condition{namespace=ns,policy=b,reason=ReadyForNewScale,status=True,type=AbleToScale}",
		"fluxscale_current_size{namespace=ns,policy=b}",
		"fluxscale_decisions_total{namespace=ns,policy=b,reason=DesiredWithinRange}",
		"fluxscale_desired_size{namespace=ns,policy=b}",
		"fluxscale_errors_total{namespace=ns,policy=b,source=flux}",
		"fluxscale_reconcile_duration_seconds{namespace=ns,policy=b}",
		"fluxscale_signal_value{namespace=ns,policy=b,signal=flux.pending}",
		"fluxscale_trigger_to_scale_seconds{namespace=ns,policy=b,trigger=hint}",
	}
	if diff := cmp.Diff(want, series(t, reg)); diff != "" {
		t.Errorf("series after deleting policy a (-want +got):\n%s", diff)
	}
}

func TestNewTwiceOnOneRegistryFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg); err == nil {
		t.Error("second New on the same registry: got nil error, want AlreadyRegistered")
	}
}

// A condition whose reason or status changes keeps one series: an alert on the old reason
// must stop firing as soon as the policy recovers.
func TestConditionsKeepOneSeriesPerType(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Conditions("ns", "p", []metav1.Condition{
		{Type: "AbleToScale", Status: metav1.ConditionFalse, Reason: "SizeNotApplied"},
		{Type: "FallbackActive", Status: metav1.ConditionFalse, Reason: "FluxStateHealthy"},
	})
	m.Conditions("ns", "p", []metav1.Condition{
		{Type: "AbleToScale", Status: metav1.ConditionTrue, Reason: "SucceededRescale"},
		{Type: "FallbackActive", Status: metav1.ConditionFalse, Reason: "FluxStateHealthy"},
	})
	want := []string{
		"fluxscale_condition{namespace=ns,policy=p,reason=FluxStateHealthy,status=False,type=FallbackActive}",
		"fluxscale_condition{namespace=ns,policy=p,reason=SucceededRescale,status=True,type=AbleToScale}",
	}
	if diff := cmp.Diff(want, series(t, reg)); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
	// A condition type the status dropped (FluxWatch, once no feeder runs) goes too.
	m.Conditions("ns", "p", []metav1.Condition{
		{Type: "AbleToScale", Status: metav1.ConditionTrue, Reason: "SucceededRescale"},
	})
	if diff := cmp.Diff(want[1:], series(t, reg)); diff != "" {
		t.Errorf("series after FallbackActive left the status (-want +got):\n%s", diff)
	}
}

func TestInstrumentHintsCountsByMethodAndCode(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	h := m.InstrumentHints(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok" {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	for _, path := range []string{"/ok", "/no", "/no"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, path, nil))
	}
	got := map[string]float64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "fluxscale_hint_requests_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			got[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = s.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"fluxscale_hint_requests_total{code=200,method=post}": 1,
		"fluxscale_hint_requests_total{code=403,method=post}": 2,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hint request counts (-want +got):\n%s", diff)
	}
}

// Without --per-policy-histograms a policy adds no histogram series: 2,000 policies cost
// what one does in histograms, and both histograms are served before any observation.
func TestHistogramsArePerPolicyOnlyWhenAsked(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "b"} {
		m.ReconcileDuration("ns", p, time.Millisecond)
		m.TriggerToScale("ns", p, TriggerFluxState, time.Second)
	}
	m.DeletePolicy("ns", "a")
	want := []string{
		"fluxscale_reconcile_duration_seconds{}",
		"fluxscale_trigger_to_scale_seconds{trigger=flux-state}",
	}
	if diff := cmp.Diff(want, series(t, reg)); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
}

// The series one policy costs at rest, with default options: sizes, one decision reason,
// the Flux signals and the conditions; nothing that grows with the number of passes.
func TestSeriesPerPolicyStaySmall(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	base := len(series(t, reg))
	for range 3 {
		m.Sizes("ns", "p", 1, 1)
		m.Decision("ns", "p", "DesiredWithinRange")
		for _, s := range []string{"flux.pendingJobs", "flux.heldJobs", "flux.runningJobs", "flux.nodesUp", "flux.nodesFree", "flux.nodesAllocated"} {
			m.Signal("ns", "p", s, 1)
		}
		var conds []metav1.Condition
		for _, c := range []string{"AbleToScale", "ScalingActive", "ScalingLimited", "Draining", "FallbackActive"} {
			conds = append(conds, metav1.Condition{Type: c, Status: metav1.ConditionTrue, Reason: "R"})
		}
		m.Conditions("ns", "p", conds)
		m.ReconcileDuration("ns", "p", time.Millisecond)
	}
	if got := len(series(t, reg)) - base; got > 20 {
		t.Errorf("one policy at rest adds %d series, want at most 20", got)
	}
}
