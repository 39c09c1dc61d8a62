package helm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// renderWith runs helm template with extra flags (e.g. --api-versions) and --set values.
func renderWith(t *testing.T, flags []string, sets ...string) []*unstructured.Unstructured {
	t.Helper()
	args := append([]string{"template", release, chartDir(t), "--namespace", releaseNamespace}, flags...)
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return decodeObjects(t, helm(t, nil, args...))
}

func deployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	ds := find(objs, "Deployment")
	if len(ds) != 1 {
		t.Fatalf("rendered %d Deployments, want 1", len(ds))
	}
	return typed[appsv1.Deployment](t, ds[0])
}

// The hint API's TLS: from an existing Secret, from a cert-manager Certificate when the
// cluster serves cert-manager's API, or plain HTTP with neither.
func TestHintTLS(t *testing.T) {
	tlsArgs := []string{"-hint-tls-cert-file=/etc/fluxscale/hints-tls/tls.crt", "-hint-tls-key-file=/etc/fluxscale/hints-tls/tls.key"}
	for _, tc := range []struct {
		name         string
		flags, sets  []string
		wantSecret   string // "" for plain HTTP
		wantCertKind []string
	}{
		{name: "plain HTTP by default"},
		{name: "an existing Secret", sets: []string{"hints.tls.secretName=my-tls"}, wantSecret: "my-tls"},
		{name: "cert-manager with a self-signed Issuer", flags: []string{"--api-versions", "cert-manager.io/v1"},
			sets: []string{"hints.tls.certManager.enabled=true"}, wantSecret: "fluxscale-hints-tls", wantCertKind: []string{"Certificate", "Issuer"}},
		{name: "cert-manager with a given ClusterIssuer", flags: []string{"--api-versions", "cert-manager.io/v1"},
			sets:       []string{"hints.tls.certManager.enabled=true", "hints.tls.certManager.issuerRef.name=corp", "hints.tls.certManager.issuerRef.kind=ClusterIssuer"},
			wantSecret: "fluxscale-hints-tls", wantCertKind: []string{"Certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := renderWith(t, tc.flags, tc.sets...)
			d := deployment(t, objs)
			args := d.Spec.Template.Spec.Containers[0].Args
			hasTLS := slices.Contains(args, tlsArgs[0]) && slices.Contains(args, tlsArgs[1])
			var secret string
			for _, v := range d.Spec.Template.Spec.Volumes {
				if v.Secret != nil {
					secret = v.Secret.SecretName
				}
			}
			if secret != tc.wantSecret || hasTLS != (tc.wantSecret != "") {
				t.Errorf("TLS Secret volume %q and TLS args %v, want Secret %q", secret, hasTLS, tc.wantSecret)
			}
			var kinds []string
			for _, o := range objs {
				if o.GetAPIVersion() == "cert-manager.io/v1" {
					kinds = append(kinds, o.GetKind())
				}
			}
			slices.Sort(kinds)
			if diff := cmp.Diff(tc.wantCertKind, kinds); diff != "" {
				t.Errorf("cert-manager objects (-want +got):\n%s", diff)
			}
			for _, o := range find(objs, "Certificate") {
				names, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "dnsNames")
				if !slices.Contains(names, "fluxscale-hints."+releaseNamespace+".svc") {
					t.Errorf("Certificate dnsNames %v lack the hints Service's name", names)
				}
			}
		})
	}
}

// The ServiceMonitor selects the metrics Service (not the hints one) and scrapes a port it has.
func TestServiceMonitorSelectsTheMetricsService(t *testing.T) {
	objs := render(t, "metrics.serviceMonitor.enabled=true")
	sms := find(objs, "ServiceMonitor")
	if len(sms) != 1 {
		t.Fatalf("rendered %d ServiceMonitors, want 1", len(sms))
	}
	sel, _, _ := unstructured.NestedStringMap(sms[0].Object, "spec", "selector", "matchLabels")
	endpoints, _, _ := unstructured.NestedSlice(sms[0].Object, "spec", "endpoints")
	var selected []string
	for _, o := range find(objs, "Service") {
		svc := typed[corev1.Service](t, o)
		matches := true
		for k, v := range sel {
			matches = matches && svc.Labels[k] == v
		}
		if !matches {
			continue
		}
		selected = append(selected, svc.Name)
		for _, ep := range endpoints {
			port := ep.(map[string]any)["port"]
			if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == port }) {
				t.Errorf("ServiceMonitor scrapes port %v, which Service %s does not have", port, svc.Name)
			}
		}
	}
	if diff := cmp.Diff([]string{"fluxscale-metrics"}, selected); diff != "" {
		t.Errorf("Services the ServiceMonitor selects (-want +got):\n%s", diff)
	}
}

// The dashboard ConfigMap carries files/dashboard.json unchanged, and it is a dashboard: JSON
// with panels that each query something.
func TestDashboardConfigMap(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(chartDir(t), "files", "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cm *corev1.ConfigMap
	for _, o := range find(render(t, "metrics.dashboard.enabled=true"), "ConfigMap") {
		cm = typed[corev1.ConfigMap](t, o)
	}
	if cm == nil {
		t.Fatal("no dashboard ConfigMap rendered")
	}
	if got := cm.Data["fluxscale.json"]; got != strings.TrimSuffix(string(raw), "\n") {
		t.Errorf("the ConfigMap's fluxscale.json differs from files/dashboard.json")
	}
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("ConfigMap labels %v lack grafana_dashboard=1 for Grafana's sidecar", cm.Labels)
	}
	type query struct {
		Expr string `json:"expr"`
	}
	var d struct {
		Panels []struct {
			Title   string  `json:"title"`
			Targets []query `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("files/dashboard.json: %v", err)
	}
	if len(d.Panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 || slices.ContainsFunc(p.Targets, func(q query) bool { return q.Expr == "" }) {
			t.Errorf("panel %q has a missing or empty query", p.Title)
		}
	}
}
