package helm

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func alertsFile(t *testing.T) string { return filepath.Join(chartDir(t), "files", "alerts.yaml") }

func alertsTestFile(t *testing.T) string {
	return repoPath(t, "config", "monitoring", "alerts_test.yaml")
}

// promtool accepts the rule file.
func TestPromtoolCheckRules(t *testing.T) {
	out, err := runTool(t, tool(t, "promtool"), nil, "check", "rules", alertsFile(t))
	t.Logf("$ promtool check rules config/helm/fluxscale/files/alerts.yaml\n%s", out)
	if err != nil {
		t.Fatalf("promtool check rules: %v", err)
	}
}

// promtool's unit tests of the alerts pass, and every alert has a test in which it fires.
func TestPromtoolTestRules(t *testing.T) {
	out, err := runTool(t, tool(t, "promtool"), nil, "test", "rules", alertsTestFile(t))
	t.Logf("$ promtool test rules config/monitoring/alerts_test.yaml\n%s", out)
	if err != nil {
		t.Fatalf("promtool test rules: %v", err)
	}
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string           `json:"alertname"`
				ExpAlerts []map[string]any `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	readYAML(t, alertsTestFile(t), &tests)
	fired := map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fired[a.Alertname] = true
			}
		}
	}
	for _, name := range alertNames(t) {
		if !fired[name] {
			t.Errorf("alert %s has no promtool test in which it fires", name)
		}
	}
}

// The chart's PrometheusRule carries the rule file unchanged.
func TestPrometheusRuleIsTheRuleFile(t *testing.T) {
	var file map[string]any
	readYAML(t, alertsFile(t), &file)
	rules := find(render(t, "metrics.prometheusRule.enabled=true"), "PrometheusRule")
	if len(rules) != 1 {
		t.Fatalf("rendered %d PrometheusRules, want 1", len(rules))
	}
	if diff := cmp.Diff(file, rules[0].Object["spec"]); diff != "" {
		t.Errorf("PrometheusRule spec against files/alerts.yaml (-file +rendered):\n%s", diff)
	}
	if n := len(find(render(t), "PrometheusRule")); n != 0 {
		t.Errorf("rendered %d PrometheusRules by default, want none (it needs the Prometheus Operator)", n)
	}
}

func alertNames(t *testing.T) []string {
	t.Helper()
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
			} `json:"rules"`
		} `json:"groups"`
	}
	readYAML(t, alertsFile(t), &file)
	var names []string
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatal("no alert in files/alerts.yaml")
	}
	return names
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s: %v", strings.TrimPrefix(path, repoPath(t)+"/"), err)
	}
}
