package helm

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// family is one scraped metric family.
type family = dto.MetricFamily

// parseMetrics parses a /metrics text exposition.
func parseMetrics(t *testing.T, text string) map[string]*family {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// sampleNames are the series names a family shows Prometheus: a histogram's _bucket, _sum
// and _count, the name itself otherwise.
func sampleNames(fams map[string]*family) map[string]bool {
	out := map[string]bool{}
	for name, f := range fams {
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				out[name+s] = true
			}
			continue
		}
		out[name] = true
	}
	return out
}

// gauge returns the value of the family's series with exactly these labels' values (other
// labels may be present), and whether there is one.
func gauge(fams map[string]*family, name string, labels map[string]string) (float64, bool) {
	for _, m := range fams[name].GetMetric() {
		if hasLabels(m, labels) {
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// seriesOf counts the family's series carrying these labels.
func seriesOf(fams map[string]*family, labels map[string]string) int {
	n := 0
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			if hasLabels(m, labels) {
				n++
			}
		}
	}
	return n
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	found := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			found++
		}
	}
	return found == len(want)
}

// fluxscaleName matches the controller's metric names where rules and dashboards use them.
var fluxscaleName = regexp.MustCompile(`\bfluxscale_[a-z_]+\b`)

// referencedMetrics returns every fluxscale_ metric name in the chart's alert rules and
// dashboard, and which file uses it.
func referencedMetrics(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, f := range []string{"alerts.yaml", "dashboard.json"} {
		raw, err := os.ReadFile(filepath.Join(chartDir(t), "files", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range fluxscaleName.FindAllString(string(raw), -1) {
			if !contains(out[name], f) {
				out[name] = append(out[name], f)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no fluxscale_ metric found in the alerts or the dashboard: the pattern or the files are wrong")
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkMetricNames fails for each metric the rules or the dashboard use that the running
// controller does not serve, and logs the cross-check.
func checkMetricNames(t *testing.T, served map[string]bool) {
	t.Helper()
	refs := referencedMetrics(t)
	names := make([]string, 0, len(refs))
	for n := range refs {
		names = append(names, n)
	}
	sort.Strings(names)
	var report strings.Builder
	for _, n := range names {
		status := "served"
		if !served[n] {
			status = "NOT SERVED"
			t.Errorf("%s is used by %s but the running controller does not serve it", n, strings.Join(refs[n], ", "))
		}
		report.WriteString("  " + n + " (" + strings.Join(refs[n], ", ") + "): " + status + "\n")
	}
	t.Logf("metric names in the alerts and the dashboard against the controller's /metrics:\n%s", report.String())
}
