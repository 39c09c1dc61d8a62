package replay

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// renderAll replays jobs under every kind of scaler and renders all outputs.
func renderAll(t *testing.T, jobs []simulated.Job) map[string]string {
	t.Helper()
	cfg := Config{Cluster: simulated.Options{MaxSize: 32, NodeUpDelay: time.Minute, Sched: simulated.SchedEASY}, Jobs: jobs}
	scalers := []Scaler{
		NewPolicyScaler("default", v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 32}),
		Static{Label: "static-max", Size: 32}, Static{Label: "static-min", Size: 1}, NewHPAScaler("hpa", 1, 32),
	}
	results, err := RunAll(context.Background(), cfg, scalers, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := Report{Trace: "gen", MaxSize: 32, MinSize: 1, Sched: "easy", Jobs: len(jobs), LowerBoundNodeHours: LowerBoundNodeHours(jobs)}
	for _, r := range results {
		rep.Policies = append(rep.Policies, Summarize(r, rep.LowerBoundNodeHours))
	}
	out := map[string]string{}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"table": func(b *bytes.Buffer) error { return rep.WriteTable(b) },
		"csv":   func(b *bytes.Buffer) error { return rep.WriteCSV(b) },
		"json":  func(b *bytes.Buffer) error { return rep.WriteJSON(b) },
		"html":  func(b *bytes.Buffer) error { return WriteHTML(b, rep, results, Window{}, "cmd") },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		out[name] = b.String()
	}
	return out
}

func TestReplayIsDeterministic(t *testing.T) {
	jobs := genJobs(t, 5, 400)
	first, second := renderAll(t, jobs), renderAll(t, jobs)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("two replays of the same workload differ (-first +second):\n%s", diff)
	}
	for _, name := range []string{"default", "static-max", "static-min", "hpa", lowerBoundLabel} {
		if !strings.Contains(first["table"], name) || !strings.Contains(first["csv"], name) {
			t.Errorf("table or CSV has no row for %q:\n%s", name, first["table"])
		}
	}
}

func TestWriteTable(t *testing.T) {
	rep := Report{LowerBoundNodeHours: 10, Policies: []Summary{
		{Policy: "p", Jobs: 3, Finished: 2, Killed: 1, MeanWait: 90, P95Wait: 7200, MeanBoundedSlowdown: 1.25,
			Makespan: 2 * 86400, NodeHours: 25, LowerBoundRatio: 2.5, Utilization: 0.4, ScaleActions: 7},
		{Policy: "idle", Jobs: 3, Unfinished: 3},
	}}
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `POLICY              DONE  KILLED  UNFINISHED  MEAN WAIT  P95 WAIT  MEAN BSLD  MAKESPAN  NODE-HOURS  x BOUND  UTIL    SCALE ACTIONS
p                   2/3   1       0           1.5m       2.0h      1.2        2.0d      25          2.50     40.0%   7
idle                0/3   0       3           -          -         0.0        0s        0           0.00     0.0%    0
lower bound (busy)                                                                      10          1.00     100.0%  
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestParsePolicy(t *testing.T) {
	const head = "apiVersion: fluxscale.dev/v1alpha1\nkind: ScalingPolicy\nmetadata: {name: p}\n"
	tests := []struct {
		name, in, wantErr string
		wantMax           int32
	}{
		{name: "valid", in: head + "spec: {maxSize: 8, targetRef: {apiVersion: v1, kind: Job, name: j}}\n", wantMax: 8},
		{name: "misspelled field", in: head + "spec: {maxSize: 8, polices: []}\n", wantErr: `unknown field "polices"`},
		{name: "wrong kind", in: "apiVersion: fluxscale.dev/v1alpha1\nkind: MiniCluster\nspec: {maxSize: 8}\n", wantErr: `kind "MiniCluster"`},
		{name: "not YAML", in: "spec: [", wantErr: "yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := ParsePolicy([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || sp.Spec.MaxSize != tc.wantMax {
				t.Fatalf("ParsePolicy: maxSize %v, error %v; want %d", sp, err, tc.wantMax)
			}
		})
	}
}
