package helm

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// helm lint passes in both RBAC modes and with the monitoring kit on.
func TestHelmLint(t *testing.T) {
	for _, tc := range []struct {
		name string
		sets []string
	}{
		{name: "defaults: cluster-wide"},
		{name: "namespaced", sets: []string{"watchNamespaces={team-a,team-b}"}},
		{name: "monitoring kit and hint TLS Secret", sets: []string{"metrics.serviceMonitor.enabled=true",
			"metrics.prometheusRule.enabled=true", "metrics.dashboard.enabled=true", "hints.tls.secretName=hints-tls"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"lint", "--strict", chartDir(t)}
			for _, s := range tc.sets {
				args = append(args, "--set", s)
			}
			out := helm(t, nil, args...)
			t.Logf("$ helm %s\n%s", strings.Join(args, " "), out)
			if !strings.Contains(out, "0 chart(s) failed") {
				t.Errorf("helm lint did not report 0 failed charts:\n%s", out)
			}
		})
	}
}

// Values the chart cannot honour fail the render with a message naming the value and what
// to do instead, rather than producing objects that break at run time.
func TestBadValuesFailWithTheValueNamed(t *testing.T) {
	for _, tc := range []struct {
		name, set, want string
	}{{
		name: "namespace name",
		set:  "watchNamespaces={team-a,Team_B}",
		want: `watchNamespaces: "Team_B" is not a namespace name`,
	}, {
		name: "replicas without leader election",
		set:  "replicas=2,leaderElection.enabled=false",
		want: "replicas is 2 but leaderElection.enabled is false",
	}, {
		name: "cert-manager without its API",
		set:  "hints.tls.certManager.enabled=true",
		want: "the cluster serves no cert-manager.io/v1 API",
	}, {
		name: "Flux reader",
		set:  "fluxReader=rpc",
		want: `fluxReader is "rpc": want python or cli`,
	}, {
		name: "no ServiceAccount to use",
		set:  "serviceAccount.create=false",
		want: "serviceAccount.name must name an existing ServiceAccount",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runTool(t, tool(t, "helm"), nil, "template", "fluxscale", chartDir(t), "--set", tc.set)
			if err == nil {
				t.Fatalf("helm template --set %s succeeded, want it refused:\n%s", tc.set, out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("helm template --set %s said:\n%s\nwant a message containing %q", tc.set, out, tc.want)
			}
		})
	}
}

// The chart installs the CRD of config/crd unchanged: `make manifests` copies it, and this
// fails when someone regenerates one without the other.
func TestChartCRDIsConfigCRD(t *testing.T) {
	want, err := os.ReadFile(repoPath(t, "config", "crd", "bases", "fluxscale.dev_scalingpolicies.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(chartDir(t), "crds", "fluxscale.dev_scalingpolicies.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Error("config/helm/fluxscale/crds differs from config/crd/bases: run `make manifests`")
	}
	entries, err := os.ReadDir(filepath.Join(chartDir(t), "crds"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("the chart's crds/ holds %d files, want only the ScalingPolicy CRD", len(entries))
	}
}
