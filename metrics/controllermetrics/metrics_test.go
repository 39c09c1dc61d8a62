package controllermetrics

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// series lists every gathered series as "name{label=value,...}", sorted.
func series(t *testing.T, reg *prometheus.Registry) []string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		for _, m := range f.GetMetric() {
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
	m, err := New(reg)
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
	}
	m.DeletePolicy("ns", "a")

	want := []string{
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
