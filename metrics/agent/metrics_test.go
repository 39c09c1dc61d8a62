package agent

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// scrape fetches /metrics and parses it with Prometheus' own text parser.
func (a *testAgent) scrape(t testing.TB) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(a.http.URL + PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", PathMetrics, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", PathMetrics, err)
	}
	return families
}

// values returns a family's samples keyed by their label values joined with ",".
func values(families map[string]*dto.MetricFamily, name string) map[string]float64 {
	out := map[string]float64{}
	f, ok := families[name]
	if !ok {
		return nil
	}
	for _, m := range f.GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetValue())
		}
		v := m.GetGauge().GetValue()
		if m.GetCounter() != nil {
			v = m.GetCounter().GetValue()
		}
		out[strings.Join(labels, ",")] = v
	}
	return out
}

func TestMetrics(t *testing.T) {
	a := newTestAgent(t)
	families := a.scrape(t)
	if diff := cmp.Diff(map[string]float64{"success": 0, "error": 0}, values(families, "fluxscale_agent_reads_total")); diff != "" {
		t.Errorf("reads before any (-want +got):\n%s", diff)
	}
	if v := values(families, "fluxscale_agent_jobs"); v != nil {
		t.Errorf("job counts %v exported before any read, want none", v)
	}

	start := a.clock.Now()
	a.source.set(sampleState(start), nil)
	a.read(t)
	families = a.scrape(t)
	tests := []struct {
		name string
		want map[string]float64
	}{
		{name: "fluxscale_agent_jobs", want: map[string]float64{"depend": 0, "priority": 0, "sched": 3, "run": 2, "cleanup": 0}},
		// 3 + 6 nodes asked, plus 1 for the job that gave only tasks (policy's count).
		{name: "fluxscale_agent_pending_nodes", want: map[string]float64{"": 10}},
		{name: "fluxscale_agent_held_jobs", want: map[string]float64{"": 0}},
		{name: "fluxscale_agent_unsatisfiable_jobs", want: map[string]float64{"": 0}},
		{name: "fluxscale_agent_nodes", want: map[string]float64{
			"up": 2, "down": 4, "free": 0, "allocated": 3, "offline": 2, "draining": 1, "drained": 1}},
		{name: "fluxscale_agent_size", want: map[string]float64{"": 6}},
		{name: "fluxscale_agent_cores_per_node", want: map[string]float64{"": 2}},
		{name: "fluxscale_agent_state_version", want: map[string]float64{"": float64(a.version(1))}},
		{name: "fluxscale_agent_last_read_success", want: map[string]float64{"": 1}},
		{name: "fluxscale_agent_last_read_timestamp_seconds", want: map[string]float64{"": float64(start.Unix())}},
		{name: "fluxscale_agent_reads_total", want: map[string]float64{"success": 1, "error": 0}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, values(families, tt.name)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if _, ok := families["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}

	a.clock.Step(time.Second)
	a.source.set(flux.State{}, errors.New("broker down"))
	a.read(t)
	families = a.scrape(t)
	if v := values(families, "fluxscale_agent_jobs"); v != nil {
		t.Errorf("job counts %v exported while reads fail, want none", v)
	}
	if diff := cmp.Diff(map[string]float64{"": 0}, values(families, "fluxscale_agent_last_read_success")); diff != "" {
		t.Errorf("last_read_success while reads fail (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]float64{"success": 1, "error": 1}, values(families, "fluxscale_agent_reads_total")); diff != "" {
		t.Errorf("reads_total (-want +got):\n%s", diff)
	}
}

func TestPendingDemand(t *testing.T) {
	tests := []struct {
		name string
		jobs []flux.Job
		cpn  int32
		size int32
		want demand
	}{
		{name: "node counts", cpn: 2, size: 6, want: demand{Nodes: 5}, jobs: []flux.Job{{State: flux.JobSched, NNodes: 2}, {State: flux.JobDepend, NNodes: 3}}},
		{name: "running jobs do not count", cpn: 2, size: 6, want: demand{}, jobs: []flux.Job{{State: flux.JobRun, NNodes: 2}}},
		{name: "cores round up to nodes", cpn: 4, size: 6, want: demand{Nodes: 2}, jobs: []flux.Job{{State: flux.JobSched, NCores: 5}}},
		// policy has no task count: a job with neither nodes nor cores asks for one node.
		{name: "tasks only is one node", cpn: 1, size: 6, want: demand{Nodes: 1}, jobs: []flux.Job{{State: flux.JobPriority, NTasks: 3}}},
		{name: "unknown cores per node", cpn: 0, size: 6, want: demand{Nodes: 1}, jobs: []flux.Job{{State: flux.JobSched, NCores: 64}}},
		// The elastic-config fixtures: a 7-node job in a MiniCluster of maxSize 6.
		{name: "unsatisfiable jobs apart", cpn: 2, size: 6, want: demand{Nodes: 9, Unsatisfiable: 2}, jobs: []flux.Job{
			{State: flux.JobSched, NNodes: 3}, {State: flux.JobSched, NNodes: 6}, {State: flux.JobSched, NNodes: 7},
			{State: flux.JobSched, NCores: 14}}},
		{name: "held jobs are not demand", cpn: 2, size: 6, want: demand{Nodes: 1}, jobs: []flux.Job{
			{State: flux.JobSched, NNodes: 4, Held: true}, {State: flux.JobSched, NNodes: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pendingDemand(flux.State{Jobs: tt.jobs, CoresPerNode: tt.cpn, Size: tt.size})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pendingDemand (-want +got):\n%s", diff)
			}
		})
	}
}
